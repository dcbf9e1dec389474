"""The rollups the metrics read, kept exact by deltas of newly stored rows.

A member's activity is kept per local day and per local month; a company's per
local month, with its page views split by day, and its contributions per day
where it had any; and each member's active months as bits, so that distinct
visitors of a range are counted from one row per member. A member's whole
history is credited to one company, ``member.attributed_company_id``; moving
it to the company the member is linked to now is re-attribution's work.

Only rows that were really inserted add to the rollups, so a resent event adds
nothing and a late one lands in its own day.
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
from domain.models import DAY_VIEW_COLUMNS, ContributionKind
from domain.periods import local_day, month_of
from domain.sql import greatest, in_list, row_lock, upsert

KIND_COLUMNS = {
    ContributionKind.TOPIC: "topics",
    ContributionKind.REPLY: "replies",
    ContributionKind.REACTION: "reactions",
    ContributionKind.SOLUTION: "solutions",
    ContributionKind.IDEA: "ideas",
}
COUNT_COLUMNS = ("page_views", *KIND_COLUMNS.values())

# A member's active months are bits of 63-month spans that start every 30
# months, so any 33 consecutive months lie within one span.
SPAN_STEP = 30
SPAN_MONTHS = 63
LONGEST_SPANNED_RANGE = SPAN_MONTHS - SPAN_STEP + 1


def month_number(month: date) -> int:
    """Months since January of year 0."""
    return month.year * 12 + month.month - 1


def spans_of(month: date) -> list[tuple[int, int]]:
    """Every (span, bit) that holds ``month``."""
    number = month_number(month)
    last = number // SPAN_STEP
    return [
        (span, number - span * SPAN_STEP)
        for span in range(last - 2, last + 1)
        if 0 <= number - span * SPAN_STEP < SPAN_MONTHS
    ]


@dataclass
class Counts:
    """Additive activity counts plus the latest page view, for one rollup row."""

    values: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(COUNT_COLUMNS, 0)
    )
    last_view_at: datetime | None = None

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

    @property
    def contributions(self) -> int:
        return sum(self.values[name] for name in KIND_COLUMNS.values())

    def row(self) -> list[Any]:
        return [*(self.values[name] for name in COUNT_COLUMNS), self.last_view_at]


@dataclass
class CompanyMonth:
    """A change to one company-month row: its counts and its days' page views."""

    counts: Counts = field(default_factory=Counts)
    day_views: list[int] = field(default_factory=lambda: [0] * 31)

    def add_day(self, day: date, counts: Counts, sign: int = 1) -> None:
        self.counts.add(counts, sign)
        self.day_views[day.day - 1] += sign * counts.values["page_views"]


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


def _add_columns(table: str, columns: Iterable[str]) -> str:
    return ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in columns)


def _add_counts(table: str) -> str:
    latest = greatest(f"{table}.last_view_at", "excluded.last_view_at")
    return f"{_add_columns(table, COUNT_COLUMNS)}, last_view_at = {latest}"


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
    companies = await lock_members(conn, community_id, member_ids, "SHARE")

    days, community_days = _day_deltas(zone, views, contributions)
    await _upsert_member_days(conn, community_id, days)
    opened = await _upsert_member_months(conn, community_id, days)
    await mark_active_months(conn, community_id, opened, companies)

    credited = [
        ((company_id, day), counts, 1)
        for (member_id, day), counts in days.items()
        if (company_id := companies.get(member_id)) is not None
    ]
    await write_company_days(conn, community_id, company_deltas(credited))
    await _upsert_community_days(conn, community_id, community_days)


async def lock_members(
    conn: BaseDBAsyncClient, community_id: int, member_ids: Sequence[int], mode: str
) -> dict[int, int | None]:
    """Each member's attributed company, locked against a concurrent move.

    Ingestion takes the lock shared and re-attribution exclusive, so rows
    credited to a company and the move of that credit never interleave.
    """
    if not member_ids:
        return {}
    condition, values = in_list("id", member_ids, conn)
    rows = await fetch(
        f"SELECT id, attributed_company_id FROM member WHERE community_id = ?"
        f" AND {condition} ORDER BY id{row_lock(conn, mode)}",
        [community_id, *values],
        conn,
    )
    return {row["id"]: row["attributed_company_id"] for row in rows}


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


async def _upsert_member_days(
    conn: BaseDBAsyncClient, community_id: int, days: dict[tuple[int, date], Counts]
) -> None:
    rows = [
        [community_id, member_id, day, *days[(member_id, day)].row()]
        for member_id, day in sorted(days)
    ]
    await upsert(
        conn,
        "member_day_rollup",
        [
            ("community_id", "int"),
            ("member_id", "bigint"),
            ("day", "date"),
            *_COUNT_TYPES,
        ],
        rows,
        conflict="member_id, day",
        updates=_add_counts("member_day_rollup"),
    )


async def _upsert_member_months(
    conn: BaseDBAsyncClient, community_id: int, days: dict[tuple[int, date], Counts]
) -> list[tuple[int, date]]:
    """Add to the member-month rows; return the months that saw a first view."""
    months: dict[tuple[int, date], Counts] = defaultdict(Counts)
    view_days: dict[tuple[int, date], int] = defaultdict(int)
    for (member_id, day), counts in days.items():
        key = (member_id, month_of(day))
        months[key].add(counts)
        if counts.values["page_views"]:
            view_days[key] |= 1 << (day.day - 1)

    rows = [
        [
            community_id,
            member_id,
            month,
            view_days[(member_id, month)],
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
            ("month", "date"),
            ("view_days", "bigint"),
            *_COUNT_TYPES,
        ],
        rows,
        conflict="member_id, month",
        updates="view_days = member_month_rollup.view_days | excluded.view_days, "
        + _add_counts("member_month_rollup"),
        returning="member_id, month, page_views",
    )
    opened = []
    for row in stored:
        key = (row["member_id"], as_date(row["month"]))
        added = months[key].values["page_views"]
        if added and row["page_views"] == added:
            opened.append(key)
    return opened


async def mark_active_months(
    conn: BaseDBAsyncClient,
    community_id: int,
    member_months: Iterable[tuple[int, date]],
    companies: dict[int, int | None],
) -> None:
    """Set the bits of members' active months, with their attributed company."""
    masks = _span_masks(member_months)
    rows = [
        [community_id, member_id, span, masks[(member_id, span)], companies[member_id]]
        for member_id, span in sorted(masks)
    ]
    await upsert(
        conn,
        "member_activity",
        [
            ("community_id", "int"),
            ("member_id", "bigint"),
            ("span", "int"),
            ("months", "bigint"),
            ("company_id", "bigint"),
        ],
        rows,
        conflict="member_id, span",
        updates="months = member_activity.months | excluded.months",
    )


CompanyDeltas = tuple[
    dict[tuple[int, date], CompanyMonth], dict[tuple[int, date], Counts]
]


def company_deltas(
    credited: Iterable[tuple[tuple[int, date], Counts, int]],
) -> CompanyDeltas:
    """Company-month and company-day changes from signed (company, day) counts."""
    months: dict[tuple[int, date], CompanyMonth] = defaultdict(CompanyMonth)
    contributed: dict[tuple[int, date], Counts] = defaultdict(Counts)
    for (company_id, day), counts, sign in credited:
        months[(company_id, month_of(day))].add_day(day, counts, sign)
        if counts.contributions:
            contributed[(company_id, day)].add(counts, sign)
    return months, contributed


async def write_company_days(
    conn: BaseDBAsyncClient, community_id: int, deltas: CompanyDeltas
) -> None:
    """Add company-month and company-day changes to their rollups."""
    months, contributed = deltas
    await _upsert_company_months(conn, community_id, months)
    await _upsert_company_contributions(conn, community_id, contributed)


async def _upsert_company_months(
    conn: BaseDBAsyncClient,
    community_id: int,
    months: dict[tuple[int, date], CompanyMonth],
) -> None:
    """Add to the company-month rows, and keep their months' bits in step."""
    rows = [
        [
            community_id,
            company_id,
            month,
            *months[(company_id, month)].counts.row(),
            *months[(company_id, month)].day_views,
        ]
        for company_id, month in sorted(months)
    ]
    day_updates = _add_columns("company_month_rollup", DAY_VIEW_COLUMNS)
    stored = await upsert(
        conn,
        "company_month_rollup",
        [("community_id", "int"), ("company_id", "bigint"), ("month", "date")]
        + _COUNT_TYPES
        + [(name, "int") for name in DAY_VIEW_COLUMNS],
        rows,
        conflict="company_id, month",
        updates=f"{_add_counts('company_month_rollup')}, {day_updates}",
        returning="company_id, month, page_views",
    )
    opened, closed = [], []
    for row in stored:
        key = (row["company_id"], as_date(row["month"]))
        after = row["page_views"]
        before = after - months[key].counts.values["page_views"]
        if before <= 0 < after:
            opened.append(key)
        elif after <= 0 < before:
            closed.append(key)
    await _mark_company_months(conn, community_id, opened, closed)


async def _mark_company_months(
    conn: BaseDBAsyncClient,
    community_id: int,
    opened: list[tuple[int, date]],
    closed: list[tuple[int, date]],
) -> None:
    """Set the bits of company-months that gained page views, clear the emptied."""
    masks = _span_masks(opened)
    rows = [
        [community_id, company_id, span, masks[(company_id, span)]]
        for company_id, span in sorted(masks)
    ]
    await upsert(
        conn,
        "company_activity",
        [
            ("community_id", "int"),
            ("company_id", "bigint"),
            ("span", "int"),
            ("months", "bigint"),
        ],
        rows,
        conflict="company_id, span",
        updates="months = company_activity.months | excluded.months",
    )
    for (company_id, span), mask in sorted(_span_masks(closed).items()):
        await execute(
            "UPDATE company_activity SET months = months & ~CAST(? AS BIGINT)"
            " WHERE company_id = ? AND span = ?",
            [mask, company_id, span],
            conn,
        )


def _span_masks(owner_months: Iterable[tuple[int, date]]) -> dict[tuple[int, int], int]:
    """The bits of (owner, month) pairs, per owner and span."""
    masks: dict[tuple[int, int], int] = defaultdict(int)
    for owner, month in owner_months:
        for span, bit in spans_of(month):
            masks[(owner, span)] |= 1 << bit
    return masks


async def _upsert_company_contributions(
    conn: BaseDBAsyncClient,
    community_id: int,
    contributed: dict[tuple[int, date], Counts],
) -> None:
    kinds = list(KIND_COLUMNS.values())
    rows = [
        [community_id, company_id, day]
        + [contributed[(company_id, day)].values[name] for name in kinds]
        for company_id, day in sorted(contributed)
    ]
    await upsert(
        conn,
        "company_day_contributions",
        [("community_id", "int"), ("company_id", "bigint"), ("day", "date")]
        + [(name, "int") for name in kinds],
        rows,
        conflict="company_id, day",
        updates=_add_columns("company_day_contributions", kinds),
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
        updates=_add_columns(
            "community_day_rollup", ("page_views", "anonymous_page_views")
        ),
    )


def as_date(value: Any) -> date:
    """A DATE column as a date, whichever driver read it."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def as_datetime(value: Any) -> datetime | None:
    """A timestamp column as an aware datetime, whichever driver read it."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
