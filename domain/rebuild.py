"""Rebuilding a community's rollups from its raw activity."""

from __future__ import annotations

import logging
import time
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import execute, fetch, write_transaction
from domain.models import ContributionKind
from domain.rollups import ContributionFact, ViewFact, apply_activity, as_datetime

ROLLUP_TABLES = (
    "member_day_rollup",
    "member_month_rollup",
    "member_activity",
    "company_month_rollup",
    "company_activity",
    "company_day_contributions",
    "community_day_rollup",
)
_CHUNK = 5_000
# The shape of the rollups this code writes and reads. Raise it with any change
# to what they hold; communities built in an older shape are then rebuilt.
ROLLUPS_VERSION = 2

log = logging.getLogger(__name__)


async def rebuild_rollups(
    conn: BaseDBAsyncClient, community_id: int, zone: ZoneInfo
) -> None:
    """Recompute every rollup of a community, as of the current links.

    Runs inside the caller's transaction, so readers see the old rollups or
    the new ones, never a mix. Memory stays bounded by the chunk size.
    """
    for table in ROLLUP_TABLES:
        await execute(
            f"DELETE FROM {table} WHERE community_id = ?", [community_id], conn
        )
    # Replayed as of the current links: credit every member where it is linked.
    await execute(
        "UPDATE member SET attributed_company_id = company_id,"
        " attributed_version = link_version WHERE community_id = ?",
        [community_id],
        conn,
    )

    async for rows in _chunks(
        conn, "page_view", "member_id, occurred_at", community_id
    ):
        views = [
            ViewFact(row["member_id"], _instant(row["occurred_at"])) for row in rows
        ]
        await apply_activity(conn, community_id, zone, views=views)

    async for rows in _chunks(
        conn, "contribution", "member_id, kind, occurred_at", community_id
    ):
        items = [
            ContributionFact(
                row["member_id"],
                ContributionKind(row["kind"]),
                _instant(row["occurred_at"]),
            )
            for row in rows
        ]
        await apply_activity(conn, community_id, zone, contributions=items)


async def rebuild_stale_rollups() -> list[int]:
    """Rebuild the rollups of every community built in an older shape.

    Each community is rebuilt in a transaction of its own; returns their ids.
    """
    stale = await fetch(
        "SELECT id, timezone FROM community WHERE rollups_version < ? ORDER BY id",
        [ROLLUPS_VERSION],
    )
    for row in stale:
        started = time.perf_counter()
        async with write_transaction(row["id"]) as conn:
            await rebuild_rollups(conn, row["id"], ZoneInfo(row["timezone"]))
            await execute(
                "UPDATE community SET rollups_version = ? WHERE id = ?",
                [ROLLUPS_VERSION, row["id"]],
                conn,
            )
        log.info(
            "rollups.rebuilt",
            extra={
                "community": row["id"],
                "version": ROLLUPS_VERSION,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    return [row["id"] for row in stale]


async def _chunks(conn: BaseDBAsyncClient, table: str, columns: str, community_id: int):
    last_id = 0
    while True:
        rows = await fetch(
            f"SELECT id, {columns} FROM {table} WHERE community_id = ? AND id > ?"
            f" ORDER BY id LIMIT {_CHUNK}",
            [community_id, last_id],
            conn,
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


def _instant(value: object):
    instant = as_datetime(value)
    assert instant is not None
    return instant
