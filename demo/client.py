"""The demo's view of the service: GraphQL and Segment batches over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class ServiceError(RuntimeError):
    pass


class Service:
    """One running service, reached the way any client would reach it."""

    def __init__(self, base_url: str, admin_key: str, integration_key: str):
        self.base_url = base_url
        self.admin_key = admin_key
        self.integration_key = integration_key
        self.http = httpx.AsyncClient(base_url=base_url, timeout=120)

    async def close(self) -> None:
        await self.http.aclose()

    async def graphql(
        self, query: str, key: str | None = None, **variables: Any
    ) -> dict:
        """The data of a GraphQL request that must succeed."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key or self.admin_key}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise ServiceError(f"GraphQL failed: {response.status_code} {body}")
        return body["data"]

    async def mutate(self, query: str, name: str, **variables: Any) -> dict:
        """A mutation's payload, which must carry no user errors."""
        payload = (await self.graphql(query, **variables))[name]
        if payload.get("userErrors"):
            raise ServiceError(f"{name} refused: {payload['userErrors']}")
        return payload

    async def send_batch(self, messages: list[dict]) -> dict:
        """One Segment batch to the ingestion endpoint; every message must be kept."""
        response = await self.http.post(
            "/v1/batch", json={"batch": messages}, auth=(self.integration_key, "")
        )
        body = response.json()
        if response.status_code != 200 or body["errors"]:
            raise ServiceError(f"batch refused: {response.status_code} {body}")
        return body

    async def wait_for_job(self, job_id: str) -> dict:
        """Poll a job until it ends; a failed job is an error."""
        while True:
            job = (await self.graphql(JOB, id=job_id))["job"]
            if job["status"] == "SUCCEEDED":
                return job
            if job["status"] == "FAILED":
                raise ServiceError(f"job {job_id} failed: {job['error']}")
            await asyncio.sleep(0.1)

    async def wait_for_all_jobs(self) -> None:
        """Poll until no job is queued or running; a failed job is an error."""
        while True:
            edges = (await self.graphql(JOBS))["jobs"]["edges"]
            statuses = [edge["node"] for edge in edges]
            failed = [job for job in statuses if job["status"] == "FAILED"]
            if failed:
                raise ServiceError(f"a job failed: {failed[0]}")
            if all(job["status"] not in {"QUEUED", "RUNNING"} for job in statuses):
                return
            await asyncio.sleep(0.2)


JOB = "query($id: ID!) { job(id: $id) { id status error result } }"
JOBS = "{ jobs(first: 200) { edges { node { id kind status error } } } }"
