"""The test database: SQLite by default, PostgreSQL when TEST_POSTGRES_URL names one.

Tortoise binds its models to one backend per process, so each backend gets a
run of its own; ``.ci/run`` makes both. A PostgreSQL that cannot be reached
fails the run, it never skips it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date

import asyncpg
import pytest

from domain.db import close_database, connection, migrate_database, open_database
from domain.rebuild import ROLLUP_TABLES

TABLES = (
    *ROLLUP_TABLES,
    "message_receipt",
    "page_view",
    "contribution",
    "job",
    "api_key",
    "member",
    "customer_period",
    "company_domain",
    "company_status_change",
    "salesforce_account",
    "company",
    "salesforce_contact",
    "salesforce_sync_state",
    "salesforce_connection",
    "community",
)


def in_ci() -> bool:
    """CI sets ``CI``; there a missing service fails the run instead of skipping."""
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: every service it needs is there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if in_ci() and skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(
            f"CI: {skipped} skipped test(s) count as failures", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def backend() -> str:
    return "postgres" if os.environ.get("TEST_POSTGRES_URL") else "sqlite"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests reach nothing but this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not _is_loopback(str(host)):
            raise OSError(f"tests may only connect to loopback, not {host}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


def _is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or host.startswith("127.")


async def _fresh_postgres(base_url: str) -> tuple[str, str]:
    name = f"engagement_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}", name


async def _drop_postgres(base_url: str, name: str) -> None:
    admin = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A migrated, empty database of one backend, open for the whole session."""
    if backend() == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        created = None
    else:
        base = os.environ["TEST_POSTGRES_URL"]
        url, created = await _fresh_postgres(base)
    await migrate_database(url)
    await open_database(url)
    _urls[backend()] = url
    try:
        yield backend()
    finally:
        await close_database()
        if created:
            await _drop_postgres(os.environ["TEST_POSTGRES_URL"], created)


_urls: dict[str, str] = {}


@dataclass(frozen=True)
class DemoRun:
    """``engagement demo --no-serve`` run once into a database of its own."""

    database_url: str
    stdout: str
    as_of: date


DEMO_AS_OF = date(2026, 12, 4)


@pytest.fixture(scope="session")
async def demo_run(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoRun]:
    if backend() == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
        created = None
    else:
        url, created = await _fresh_postgres(os.environ["TEST_POSTGRES_URL"])
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "cli", "demo", "--no-serve", "--size", "small"]
    command += ["--as-of", DEMO_AS_OF.isoformat()]

    run = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=580
    )
    assert run.returncode == 0, run.stderr[-3000:]
    try:
        yield DemoRun(url, run.stdout, DEMO_AS_OF)
    finally:
        if created:
            await _drop_postgres(os.environ["TEST_POSTGRES_URL"], created)


@pytest.fixture
def database_url(database: str) -> str:
    """The URL of the session's database, for servers the tests start."""
    return _urls[database]


@pytest.fixture
async def db(database: str) -> AsyncIterator[str]:
    """The session's database, emptied after each test."""
    yield database
    conn = connection()
    for table in TABLES:
        await conn.execute_query(f"DELETE FROM {table}")
