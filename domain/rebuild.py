"""Rebuilding a community's rollups from its raw activity."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import execute, fetch
from domain.models import ContributionKind
from domain.rollups import (
    ContributionFact,
    ViewFact,
    apply_activity,
    as_date,
    as_datetime,
    mark_company_months,
)

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


async def rebuild_all_rollups(conn: BaseDBAsyncClient) -> None:
    """Recompute the rollups of every community, each in its own time zone."""
    for row in await fetch("SELECT id, timezone FROM community ORDER BY id", [], conn):
        await rebuild_rollups(conn, row["id"], ZoneInfo(row["timezone"]))


async def mark_all_company_months(conn: BaseDBAsyncClient) -> None:
    """Set the month bits of every company-month with page views, everywhere."""
    rows = await fetch(
        "SELECT community_id, company_id, month FROM company_month_rollup"
        " WHERE page_views > 0 ORDER BY community_id",
        [],
        conn,
    )
    by_community: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for row in rows:
        by_community[row["community_id"]].append(
            (row["company_id"], as_date(row["month"]))
        )
    for community_id, pairs in by_community.items():
        await mark_company_months(conn, community_id, pairs, [])


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
