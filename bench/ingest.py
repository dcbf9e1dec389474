"""Ingestion throughput: Segment batches over loopback HTTP into PostgreSQL.

Two measurements in one run, on a fresh database with the rollups kept:
the database-only path (``record_page_views`` called in-process, the ceiling)
and the endpoint (``/v1/batch`` served by uvicorn in its own process, posted
to by concurrent senders). Reports events/s, the endpoint's share of the
ceiling and the p95 batch latency.

    .venv/bin/python -m bench.ingest --database-url postgres://postgres@127.0.0.1:5432/engagement_ingest
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.common import (
    check_local,
    free_port,
    fresh_database,
    serve_api,
    write_results,
)
from domain.activity import PageViewInput, record_page_views
from domain.apikeys import create_api_key
from domain.attribution import reattribute_pending
from domain.communities import create_community
from domain.companies import save_company, set_customer_periods
from domain.db import close_database, migrate_database, open_database
from domain.members import link_members
from domain.models import CrmSource, Role

BATCH = 500
MEMBERS = 20_000
COMPANIES = 1_000


def _messages(rng: random.Random, prefix: str, count: int) -> list[dict]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch = []
    for index in range(count):
        at = start + timedelta(seconds=rng.randrange(365 * 86_400))
        message = {
            "type": "page",
            "messageId": f"{prefix}-{index}",
            "timestamp": at.isoformat(),
            "properties": {"path": f"/t/{rng.randrange(5000)}"},
        }
        if rng.random() < 0.15:
            message["anonymousId"] = f"anon-{rng.randrange(100_000)}"
        else:
            message["userId"] = f"member-{rng.randrange(MEMBERS)}"
        batch.append(message)
    return batch


def _inputs(messages: list[dict]) -> list[PageViewInput]:
    return [
        PageViewInput(
            message_id=m["messageId"],
            occurred_at=datetime.fromisoformat(m["timestamp"]),
            path=m["properties"]["path"],
            member_external_id=m.get("userId"),
            anonymous_id=m.get("anonymousId"),
        )
        for m in messages
    ]


async def _setup(url: str):
    """A community with companies, linked members and an integration key."""
    await fresh_database(url)
    await migrate_database(url)
    await open_database(url)
    community = await create_community("Ingest bench", "America/New_York")
    companies = []
    for index in range(COMPANIES):
        company = await save_company(
            community.id, CrmSource.CSV, f"c{index}", f"Co {index}"
        )
        await set_customer_periods(company, [(None, None)])
        companies.append(company.id)
    links = [
        (f"member-{i}", companies[i % COMPANIES]) for i in range(int(MEMBERS * 0.7))
    ]
    for start in range(0, len(links), 1000):
        await link_members(community.id, links[start : start + 1000])
    await reattribute_pending(community.id)  # what the enrichment job does
    key = await create_api_key(community.id, Role.INTEGRATION)
    return community, key.secret


async def _database_only(community, batches: list[list[dict]], senders: int) -> dict:
    inputs = [_inputs(batch) for batch in batches]
    latencies: list[float] = []
    queue = list(inputs)

    async def sender() -> None:
        while queue:
            batch = queue.pop()
            started = time.perf_counter()
            await record_page_views(community, batch, partial=True)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    return _figures(sum(map(len, inputs)), time.perf_counter() - started, latencies)


def _figures(events: int, seconds: float, latencies: list[float]) -> dict:
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "p95_batch_ms": round(p95 * 1000, 1),
        "median_batch_ms": round(statistics.median(latencies) * 1000, 1),
    }


async def _endpoint(
    base: str, secret: str, batches: list[list[dict]], senders: int
) -> dict:
    bodies = [
        json.dumps({"batch": b, "sentAt": datetime.now(UTC).isoformat()}).encode()
        for b in batches
    ]
    latencies: list[float] = []
    queue = list(bodies)
    auth = httpx.BasicAuth(secret, "")

    async def sender(client: httpx.AsyncClient) -> None:
        while queue:
            body = queue.pop()
            started = time.perf_counter()
            response = await client.post(
                "/v1/batch",
                content=body,
                auth=auth,
                headers={"Content-Type": "application/json"},
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or response.json()["errors"]:
                raise SystemExit(
                    f"a batch failed: {response.status_code} {response.text[:300]}"
                )

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(senders)))
        seconds = time.perf_counter() - started
    return _figures(sum(map(len, batches)), seconds, latencies)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--batches", type=int, default=200, help="per measurement")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--server-workers", type=int, default=2)
    args = parser.parse_args()
    check_local(args.database_url)

    community, secret = await _setup(args.database_url)
    rng = random.Random(3)
    direct = [_messages(rng, f"d{b}", BATCH) for b in range(args.batches)]
    http = [_messages(rng, f"h{b}", BATCH) for b in range(args.batches)]
    ceiling = await _database_only(community, direct, args.senders)
    await close_database()

    port = free_port()
    server = serve_api(args.database_url, port, args.server_workers)
    try:
        served = await _endpoint(f"http://127.0.0.1:{port}", secret, http, args.senders)
    finally:
        server.terminate()
        server.wait(timeout=30)

    share = served["events_per_s"] / ceiling["events_per_s"]
    result = {
        "database_only": ceiling,
        "endpoint": served,
        "share": round(share, 3),
        "batch": BATCH,
        "senders": args.senders,
        "server_workers": args.server_workers,
    }
    print(json.dumps(result, indent=2))
    write_results("ingest", result)


if __name__ == "__main__":
    asyncio.run(main())
