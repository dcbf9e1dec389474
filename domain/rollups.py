"""The rollups the metrics read, kept exact by deltas of newly stored rows.

Three levels: member x local day, member x local month (each row credited to
the company its member was attributed to when it was written), and company x
local month. Only rows that were really inserted add to them, so a resent
event adds nothing and a late one lands in its own day. Re-attribution moves a
member's month rows between companies; it never touches the raw activity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import execute, fetch
from domain.models import ContributionKind
from domain.periods import local_day, month_of
from domain.sql import greatest, in_list, pairs_in, row_lock, upsert

KIND_COLUMNS = {
    ContributionKind.TOPIC: "topics",
    ContributionKind.REPLY: "replies",
    ContributionKind.REACTION: "reactions",
    ContributionKind.SOLUTION: "solutions",
    ContributionKind.IDEA: "ideas",
}
COUNT_COLUMNS = ("page_views", *KIND_COLUMNS.values())


@dataclass
class Counts:
    """Additive activity counts plus the latest page view, for one rollup row."""

    values: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(COUNT_COLUMNS, 0)
    )
    last_view_at: datetime | None = None
    visitors: int = 0

    def add_view(self, instant: datetime) -> None:
        self.values["page_views"] += 1
        if self.last_view_at is None or instant > self.last_view_at:
            self.last_view_at = instant

    def add(self, other: Counts, sign: int = 1) -> None:
        for name, value in other.values.items():
            self.values[name] += sign * value
        later = other.last_view_at is not None and (
            self.last_view_at is None or other.last_view_at > self.last_view_at
        )
        if sign > 0 and later:
            self.last_view_at = other.last_view_at

    def row(self) -> list[Any]:
        return [*(self.values[name] for name in COUNT_COLUMNS), self.last_view_at]


@dataclass(frozen=True)
class ViewFact:
    member_id: int | None
    occurred_at: datetime


@dataclass(frozen=True)
class ContributionFact:
    member_id: int
    kind: ContributionKind
    occurred_at: datetime


_COUNT_TYPES = [(name, "int") for name in COUNT_COLUMNS] + [
    ("last_view_at", "timestamptz")
]
_ADD_COUNTS = ", ".join(
    f"{name} = {{t}}.{name} + excluded.{name}" for name in COUNT_COLUMNS
)
_KEEP_LATEST = "last_view_at = " + greatest("{t}.last_view_at", "excluded.last_view_at")


def _add_counts(table: str) -> str:
    return f"{_ADD_COUNTS}, {_KEEP_LATEST}".format(t=table)


async def apply_activity(
    conn: BaseDBAsyncClient,
    community_id: int,
    zone: ZoneInfo,
    views: Sequence[ViewFact] = (),
    contributions: Sequence[ContributionFact] = (),
) -> None:
    """Add newly stored page views and contributions to every rollup."""
    member_ids = sorted(
        {v.member_id for v in views if v.member_id is not None}
        | {c.member_id for c in contributions}
    )
    companies = await _lock_members(conn, community_id, member_ids, "SHARE")

    days, community_days = _day_deltas(zone, views, contributions)
    await _upsert_member_days(conn, community_id, companies, days)

    months = _month_deltas(days)
    credited = await _upsert_member_months(conn, community_id, companies, months)
    await _upsert_company_months(conn, community_id, credited)

    await _upsert_community_days(conn, community_id, community_days)


async def _lock_members(
    conn: BaseDBAsyncClient, community_id: int, member_ids: Sequence[int], mode: str
) -> dict[int, int | None]:
    """Each member's current company, locked against a concurrent re-link.

    Ingestion takes the lock shared and re-attribution exclusive, so a link
    change and the rows credited under the old link never interleave.
    """
    if not member_ids:
        return {}
    condition, values = in_list("id", member_ids, conn)
    rows = await fetch(
        f"SELECT id, company_id FROM member WHERE community_id = ? AND {condition}"
        f" ORDER BY id{row_lock(conn, mode)}",
        [community_id, *values],
        conn,
    )
    return {row["id"]: row["company_id"] for row in rows}


def _day_deltas(
    zone: ZoneInfo,
    views: Iterable[ViewFact],
    contributions: Iterable[ContributionFact],
) -> tuple[dict[tuple[int, date], Counts], dict[date, list[int]]]:
    days: dict[tuple[int, date], Counts] = defaultdict(Counts)
    community_days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for view in views:
        day = local_day(view.occurred_at, zone)
        community_days[day][0] += 1
        if view.member_id is None:
            community_days[day][1] += 1
        else:
            days[(view.member_id, day)].add_view(view.occurred_at)
    for item in contributions:
        day = local_day(item.occurred_at, zone)
        days[(item.member_id, day)].values[KIND_COLUMNS[item.kind]] += 1
    return days, community_days


def _month_deltas(
    days: dict[tuple[int, date], Counts],
) -> dict[tuple[int, date], Counts]:
    months: dict[tuple[int, date], Counts] = defaultdict(Counts)
    for (member_id, day), counts in days.items():
        months[(member_id, month_of(day))].add(counts)
    return months


async def _upsert_member_days(
    conn: BaseDBAsyncClient,
    community_id: int,
    companies: dict[int, int | None],
    days: dict[tuple[int, date], Counts],
) -> None:
    rows = [
        [
            community_id,
            member_id,
            companies.get(member_id),
            day,
            *days[(member_id, day)].row(),
        ]
        for member_id, day in sorted(days)
    ]
    await upsert(
        conn,
        "member_day_rollup",
        [
            ("community_id", "int"),
            ("member_id", "bigint"),
            ("company_id", "bigint"),
            ("day", "date"),
            *_COUNT_TYPES,
        ],
        rows,
        conflict="member_id, day",
        updates=_add_counts("member_day_rollup"),
    )


async def _upsert_member_months(
    conn: BaseDBAsyncClient,
    community_id: int,
    companies: dict[int, int | None],
    months: dict[tuple[int, date], Counts],
) -> list[tuple[int, date, Counts, bool]]:
    """Add to the member-month rows; say which company each row credits.

    A row keeps the company it was first credited to until re-attribution
    moves it, so the company rollup moves with it, exactly.
    """
    rows = [
        [
            community_id,
            member_id,
            companies.get(member_id),
            month,
            *months[(member_id, month)].row(),
        ]
        for member_id, month in sorted(months)
    ]
    stored = await upsert(
        conn,
        "member_month_rollup",
        [
            ("community_id", "int"),
            ("member_id", "bigint"),
            ("company_id", "bigint"),
            ("month", "date"),
            *_COUNT_TYPES,
        ],
        rows,
        conflict="member_id, month",
        updates=_add_counts("member_month_rollup"),
        returning="member_id, month, company_id, page_views",
    )
    credited = []
    for row in stored:
        if row["company_id"] is None:
            continue
        delta = months[(row["member_id"], as_date(row["month"]))]
        first_view = (
            delta.values["page_views"] > 0
            and row["page_views"] == delta.values["page_views"]
        )
        credited.append((row["company_id"], as_date(row["month"]), delta, first_view))
    return credited


async def _upsert_company_months(
    conn: BaseDBAsyncClient,
    community_id: int,
    credited: Iterable[tuple[int, date, Counts, bool]],
) -> None:
    totals: dict[tuple[int, date], Counts] = defaultdict(Counts)
    for company_id, month, delta, first_view in credited:
        total = totals[(company_id, month)]
        total.add(delta)
        total.visitors += int(first_view)
    await _write_company_months(conn, community_id, totals)


async def _write_company_months(
    conn: BaseDBAsyncClient, community_id: int, totals: dict[tuple[int, date], Counts]
) -> None:
    rows = [
        [
            community_id,
            company_id,
            month,
            totals[(company_id, month)].visitors,
            *totals[(company_id, month)].row(),
        ]
        for company_id, month in sorted(totals)
    ]
    await upsert(
        conn,
        "company_month_rollup",
        [
            ("community_id", "int"),
            ("company_id", "bigint"),
            ("month", "date"),
            ("visitors", "int"),
            *_COUNT_TYPES,
        ],
        rows,
        conflict="company_id, month",
        updates="visitors = company_month_rollup.visitors + excluded.visitors, "
        + _add_counts("company_month_rollup"),
    )


async def _upsert_community_days(
    conn: BaseDBAsyncClient, community_id: int, community_days: dict[date, list[int]]
) -> None:
    rows = [[community_id, day, *community_days[day]] for day in sorted(community_days)]
    await upsert(
        conn,
        "community_day_rollup",
        [
            ("community_id", "int"),
            ("day", "date"),
            ("page_views", "int"),
            ("anonymous_page_views", "int"),
        ],
        rows,
        conflict="community_id, day",
        updates="page_views = community_day_rollup.page_views + excluded.page_views, "
        "anonymous_page_views = community_day_rollup.anonymous_page_views"
        " + excluded.anonymous_page_views",
    )


async def reattribute(
    conn: BaseDBAsyncClient, community_id: int, member_ids: Sequence[int]
) -> int:
    """Credit each member's whole history to the company it is linked to now.

    Returns how many member-month rows moved. Running it again moves nothing;
    two runs for one member serialise on the member's row lock, and the later
    one sees the later link.
    """
    targets = await _lock_members(conn, community_id, sorted(set(member_ids)), "UPDATE")
    if not targets:
        return 0
    moved = await _moved_month_rows(conn, targets)

    totals: dict[tuple[int, date], Counts] = defaultdict(Counts)
    emptied: set[tuple[int, date]] = set()
    for member_id, month, old_company, counts in moved:
        visitor = int(counts.values["page_views"] > 0)
        if old_company is not None:
            totals[(old_company, month)].add(counts, sign=-1)
            totals[(old_company, month)].visitors -= visitor
            emptied.add((old_company, month))
        new_company = targets[member_id]
        if new_company is not None:
            totals[(new_company, month)].add(counts)
            totals[(new_company, month)].visitors += visitor
    await _write_company_months(conn, community_id, totals)

    await _follow_member_links(conn, list(targets))
    await _refresh_latest_views(conn, sorted(emptied))
    return len(moved)


async def _moved_month_rows(
    conn: BaseDBAsyncClient, targets: dict[int, int | None]
) -> list[tuple[int, date, int | None, Counts]]:
    condition, values = in_list("member_id", list(targets), conn)
    rows = await fetch(
        f"SELECT member_id, month, company_id, {', '.join(COUNT_COLUMNS)}, last_view_at"
        f" FROM member_month_rollup WHERE {condition}",
        values,
        conn,
    )
    moved = []
    for row in rows:
        if row["company_id"] == targets[row["member_id"]]:
            continue
        counts = Counts(
            {name: row[name] for name in COUNT_COLUMNS},
            as_datetime(row["last_view_at"]),
        )
        moved.append(
            (row["member_id"], as_date(row["month"]), row["company_id"], counts)
        )
    return moved


async def _follow_member_links(conn: BaseDBAsyncClient, member_ids: list[int]) -> None:
    condition, values = in_list("member_id", member_ids, conn)
    for table in ("member_month_rollup", "member_day_rollup"):
        await execute(
            f"UPDATE {table} SET company_id = (SELECT m.company_id FROM member m"
            f" WHERE m.id = {table}.member_id) WHERE {condition}",
            values,
            conn,
        )
    condition, values = in_list("id", member_ids, conn)
    await execute(
        f"UPDATE member SET attributed_version = link_version WHERE {condition}",
        values,
        conn,
    )


async def _refresh_latest_views(
    conn: BaseDBAsyncClient, pairs: Sequence[tuple[int, date]]
) -> None:
    """Recompute the latest view of company-months a member left.

    A maximum cannot be decremented; the rows are already locked by this
    transaction's delta, so the recount sees every committed member row.
    """
    if not pairs:
        return
    condition, values = pairs_in(
        ("company_id", "month"), ("bigint", "date"), pairs, conn
    )
    await execute(
        "UPDATE company_month_rollup SET last_view_at = (SELECT MAX(mm.last_view_at)"
        " FROM member_month_rollup mm WHERE mm.company_id = company_month_rollup.company_id"
        f" AND mm.month = company_month_rollup.month) WHERE {condition}",
        values,
        conn,
    )


def as_date(value: Any) -> date:
    """A DATE column as a date, whichever driver read it."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def as_datetime(value: Any) -> datetime | None:
    """A timestamp column as an aware datetime, whichever driver read it."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
