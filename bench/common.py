"""Helpers shared by the benchmark scripts: paths, metadata, URLs, timing."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
COMMUNITY_NAME = "Bench community"


def data_dir(views: int) -> Path:
    """The default directory of a generated data set with ``views`` page views."""
    return DATA / f"views-{views}"


def read_meta(directory: Path) -> dict[str, Any]:
    """The generator's description of a data set (sizes, special members)."""
    return json.loads((directory / "meta.json").read_text())


def backend_of(url: str) -> str:
    """``postgres`` or ``sqlite``, from a database URL."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgres"
    if url.startswith("sqlite://"):
        return "sqlite"
    raise SystemExit(f"unsupported database URL {url!r}")


def check_local(url: str) -> None:
    """Refuse any PostgreSQL that is not on this machine."""
    if backend_of(url) != "postgres":
        return
    rest = url.split("://", 1)[1]
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    if host not in {"127.0.0.1", "localhost"}:
        raise SystemExit(f"benchmarks only use the local PostgreSQL, not {host}")


def asyncpg_dsn(url: str) -> str:
    """A Tortoise ``postgres://`` URL as a DSN asyncpg accepts."""
    return url.replace("postgres://", "postgresql://", 1)


def sqlite_path(url: str) -> Path:
    """The file named by a ``sqlite://`` URL."""
    return Path(url.removeprefix("sqlite://"))


def write_results(kind: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as JSON under bench/results/ and return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{kind}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


async def timed_async(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Run ``work`` once; return (milliseconds, its result)."""
    started = time.perf_counter()
    result = await work()
    return (time.perf_counter() - started) * 1000, result


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``work`` once; return (milliseconds, its result)."""
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


class Stages:
    """Named wall-clock stages, printed as they finish."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._started, 3)
        print(f"  {name:<28} {now - self._started:9.2f} s", flush=True)
        self._started = now


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_api(url: str, port: int, workers: int) -> subprocess.Popen:
    """The API in production mode on 127.0.0.1, as uvicorn runs it, once healthy."""
    env = {**os.environ, "DATABASE_URL": url, "ENGAGEMENT_ENV": "production"}
    env.pop("REDIS_URL", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
                == 200
            ):
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the API did not start")


async def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database that ``url`` names."""
    base, name = url.rsplit("/", 1)
    admin = await asyncpg.connect(asyncpg_dsn(base + "/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
