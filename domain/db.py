"""Database configuration and the few helpers the raw SQL needs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate
from tortoise.transactions import in_transaction

from domain.settings import load_settings

APP = "engagement"


# Per-session PostgreSQL settings. The dashboard's statements are short and
# planned on small estimates; compiling them with JIT costs more (30-50 ms a
# statement here) than it ever saves.
POSTGRES_SESSION = {"jit": "off"}


def connection_config(database_url: str) -> str | dict[str, Any]:
    """Tortoise's connection settings for a URL, with our PostgreSQL session."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return database_url
    config = expand_db_url(database_url)
    config["credentials"].setdefault("server_settings", {}).update(POSTGRES_SESSION)
    return config


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    """The Tortoise configuration for ``database_url`` (default: the settings')."""
    url = database_url or load_settings().database_url
    return {
        "connections": {"default": connection_config(url)},
        "apps": {
            APP: {
                "models": ["domain.models"],
                "migrations": "domain.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# What ``tortoise makemigrations`` reads (see ``[tool.tortoise]``).
TORTOISE_ORM = tortoise_config()


async def open_database(database_url: str | None = None) -> None:
    """Open the connections for this process.

    The global fallback makes them reachable from every task: request handlers,
    queued jobs and tests all run in tasks other than the one that opened them.
    """
    await Tortoise.init(
        config=tortoise_config(database_url), _enable_global_fallback=True
    )


async def migrate_database(database_url: str | None = None) -> None:
    """Apply every committed migration, then rebuild rollups of an older shape."""
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()

    # Imported here: the rebuild needs this module's helpers.
    from domain.rebuild import rebuild_stale_rollups

    await open_database(database_url)
    try:
        await rebuild_stale_rollups()
    finally:
        await close_database()


_writing: ContextVar[bool] = ContextVar("writing", default=False)


@asynccontextmanager
async def write_transaction(community_id: int) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction that writes the community's data.

    Once the outermost one commits, the community's ``data_version`` moves on,
    so that answers computed from the data before it are not served again
    (see domain/answers.py).

    SQLite begins a transaction as a reader; one that read before another
    process committed cannot become the writer and fails at once with
    "database is locked". Writing first takes the lock up front, waiting for
    it as long as the busy timeout allows. PostgreSQL needs nothing of this.
    """
    outermost = not _writing.get()
    token = _writing.set(True)
    try:
        async with in_transaction() as conn:
            if not is_postgres(conn):
                await conn.execute_query("UPDATE community SET id = id WHERE 0")
            yield conn
    finally:
        _writing.reset(token)
    if outermost:
        await execute(
            "UPDATE community SET data_version = data_version + 1 WHERE id = ?",
            [community_id],
        )


async def close_database() -> None:
    await Tortoise.close_connections()


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


def is_postgres(conn: BaseDBAsyncClient | None = None) -> bool:
    conn = conn or connection()
    return conn.capabilities.dialect == "postgres"


def placeholders(sql: str, conn: BaseDBAsyncClient) -> str:
    """Rewrite ``?`` placeholders as ``$1, $2, ...`` for PostgreSQL."""
    if not is_postgres(conn):
        return sql
    parts = sql.split("?")
    out = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        out.append(f"${index}{part}")
    return "".join(out)


async def fetch(
    sql: str, values: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> list[dict[str, Any]]:
    """Run a raw query written with ``?`` placeholders and return its rows."""
    conn = conn or connection()
    return await conn.execute_query_dict(placeholders(sql, conn), list(values))


async def execute(
    sql: str, values: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> int:
    conn = conn or connection()
    count, _ = await conn.execute_query(placeholders(sql, conn), list(values))
    return count
