"""GraphQL through the schema in-process, as a given API key."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.context import RequestContext
from api.schema import schema
from domain.apikeys import create_api_key
from domain.models import Community, Role
from tests import factories as f


@dataclass
class Caller:
    community: Community
    role: Role
    secret: str
    context: RequestContext

    async def execute(self, query: str, **variables: Any):
        return await schema.execute(
            query, variable_values=variables, context_value=self.context
        )

    async def ok(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed without any GraphQL error."""
        result = await self.execute(query, **variables)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data


async def caller(community: Community, role: Role = Role.VIEWER) -> Caller:
    issued = await create_api_key(community.id, role)
    return Caller(
        community, role, issued.secret, RequestContext(community, issued.record)
    )


@pytest.fixture
async def community(db):
    return await f.community("America/New_York")


@pytest.fixture
async def viewer(community):
    return await caller(community, Role.VIEWER)


@pytest.fixture
async def integration(community):
    return await caller(community, Role.INTEGRATION)


@pytest.fixture
async def admin(community):
    return await caller(community, Role.ADMIN)


def _free_port() -> int:
    """A free loopback port in 19000-19999, the range test servers keep to."""
    for port in random.sample(range(19000, 20000), 1000):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19000-19999")


@contextmanager
def serving(
    database_url: str,
    log_path: Path,
    verbose: bool = False,
    environment: str = "production",
) -> Iterator[str]:
    """``engagement serve`` on ``database_url`` in its own process; its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "ENGAGEMENT_ENV": environment}
    env.pop("REDIS_URL", None)
    flags = ["-v"] if verbose else []
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", *flags, "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_healthy(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def server(database_url, tmp_path):
    """``engagement serve`` on the session's database, on a free loopback port."""
    with serving(database_url, tmp_path / "server.log") as base:
        yield base, tmp_path / "server.log"


def _wait_until_healthy(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not become healthy")
