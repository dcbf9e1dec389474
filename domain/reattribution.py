"""Moving a member's credited history from one company to another, in the rollups.

The raw activity is never touched: the member's day rows say what to move,
and the company rollups are changed by those amounts, out of the company it
was credited to and into the one the member is linked to now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import execute, fetch
from domain.periods import month_of
from domain.rollups import (
    COUNT_COLUMNS,
    Counts,
    as_date,
    as_datetime,
    company_deltas,
    write_company_days,
)
from domain.sql import in_list, pairs_in, row_lock

Move = tuple[int | None, int | None]  # (credited company, linked company)


async def reattribute(
    conn: BaseDBAsyncClient, community_id: int, member_ids: Sequence[int]
) -> int:
    """Credit each member's whole history to the company it is linked to now.

    Returns how many member-month rows moved. Running it again moves nothing;
    two runs for one member serialise on the member's row lock, and the later
    one sees the later link.
    """
    moves = await _lock_moves(conn, community_id, sorted(set(member_ids)))
    moving = sorted(member for member, (old, new) in moves.items() if old != new)
    days = await _member_days(conn, moving)

    credited = []
    for member_id, day, counts in days:
        old, new = moves[member_id]
        if old is not None:
            credited.append(((old, day), counts, -1))
        if new is not None:
            credited.append(((new, day), counts, 1))
    await write_company_days(conn, community_id, company_deltas(credited))

    await _settle(conn, list(moves))
    await _refresh_latest_views(conn, _left_latest(days, moves))
    return len({(member_id, month_of(day)) for member_id, day, _ in days})


async def _lock_moves(
    conn: BaseDBAsyncClient, community_id: int, member_ids: list[int]
) -> dict[int, Move]:
    """Each member's credited and linked company, locked against ingestion."""
    if not member_ids:
        return {}
    condition, values = in_list("id", member_ids, conn)
    rows = await fetch(
        "SELECT id, attributed_company_id, company_id FROM member"
        f" WHERE community_id = ? AND {condition} ORDER BY id{row_lock(conn, 'UPDATE')}",
        [community_id, *values],
        conn,
    )
    return {
        row["id"]: (row["attributed_company_id"], row["company_id"]) for row in rows
    }


async def _member_days(
    conn: BaseDBAsyncClient, member_ids: list[int]
) -> list[tuple[int, date, Counts]]:
    if not member_ids:
        return []
    condition, values = in_list("member_id", member_ids, conn)
    rows = await fetch(
        f"SELECT member_id, day, {', '.join(COUNT_COLUMNS)}, last_view_at"
        f" FROM member_day_rollup WHERE {condition}",
        values,
        conn,
    )
    return [
        (
            row["member_id"],
            as_date(row["day"]),
            Counts(
                {name: row[name] for name in COUNT_COLUMNS},
                as_datetime(row["last_view_at"]),
            ),
        )
        for row in rows
    ]


async def _settle(conn: BaseDBAsyncClient, member_ids: list[int]) -> None:
    """Record that the members' history is credited where they are linked."""
    if not member_ids:
        return
    condition, values = in_list("id", member_ids, conn)
    await execute(
        "UPDATE member SET attributed_company_id = company_id,"
        f" attributed_version = link_version WHERE {condition}",
        values,
        conn,
    )
    condition, values = in_list("member_id", member_ids, conn)
    await execute(
        "UPDATE member_activity SET company_id = (SELECT m.attributed_company_id"
        f" FROM member m WHERE m.id = member_activity.member_id) WHERE {condition}",
        values,
        conn,
    )


def _left_latest(
    days: list[tuple[int, date, Counts]], moves: dict[int, Move]
) -> dict[tuple[int, date], datetime]:
    """The company-months members left, with the latest view each took away."""
    left: dict[tuple[int, date], datetime] = {}
    for member_id, day, counts in days:
        old = moves[member_id][0]
        seen = counts.last_view_at
        if old is None or seen is None:
            continue
        key = (old, month_of(day))
        if key not in left or seen > left[key]:
            left[key] = seen
    return left


async def _refresh_latest_views(
    conn: BaseDBAsyncClient, left: dict[tuple[int, date], datetime]
) -> None:
    """Recompute the latest view of company-months whose latest view left.

    A maximum cannot be decremented. Only a month whose latest view was one
    of the departing members' needs the recount; the others keep theirs.
    """
    if not left:
        return
    condition, values = pairs_in(
        ("company_id", "month"), ("bigint", "date"), list(left), conn
    )
    rows = await fetch(
        "SELECT company_id, month, last_view_at FROM company_month_rollup"
        f" WHERE {condition}",
        values,
        conn,
    )
    stale = [
        (row["company_id"], as_date(row["month"]))
        for row in rows
        if (seen := as_datetime(row["last_view_at"])) is not None
        and left[(row["company_id"], as_date(row["month"]))] >= seen
    ]
    if not stale:
        return
    condition, values = pairs_in(
        ("company_id", "month"), ("bigint", "date"), stale, conn
    )
    await execute(
        "UPDATE company_month_rollup SET last_view_at = (SELECT MAX(mm.last_view_at)"
        " FROM member_month_rollup mm JOIN member m ON m.id = mm.member_id"
        " WHERE m.attributed_company_id = company_month_rollup.company_id"
        f" AND mm.month = company_month_rollup.month) WHERE {condition}",
        values,
        conn,
    )
