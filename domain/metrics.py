"""The numbers the dashboard shows, read from the rollups.

A range of local dates is cut into the whole months it covers and the days at
its edges: a whole month is read from a month row's totals, an edge from the
same row's day columns or day bits, so the work grows with companies and
members, not with days or page views. Customer status is read from customer
periods against the range's UTC bounds.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.answers import remembered
from domain.communities import zone_of
from domain.db import connection, fetch
from domain.models import DAY_VIEW_COLUMNS, Community
from domain.periods import (
    DateRange,
    day_start,
    month_of,
    months_between,
    next_month,
    split_range,
    validate_month_range,
)
from domain.rollups import (
    KIND_COLUMNS,
    LONGEST_SPANNED_RANGE,
    SPAN_STEP,
    as_datetime,
    month_number,
)
from domain.sql import in_list


@dataclass(frozen=True)
class ActivityCounts:
    """Active, inactive and total customers of a period, and the MAC rate."""

    active: int
    total: int

    @property
    def inactive(self) -> int:
        return self.total - self.active

    @property
    def rate(self) -> float | None:
        return self.active / self.total if self.total else None


@dataclass(frozen=True)
class MonthlyActivity(ActivityCounts):
    month: date


@dataclass(frozen=True)
class EngagementSummary(ActivityCounts):
    page_views: int
    unique_visitors: int
    anonymous_page_views: int
    months: list[MonthlyActivity]


@dataclass(frozen=True)
class CustomerEngagement:
    page_views: int
    unique_visitors: int
    contributions: dict[str, int]
    lurker_threshold: int

    @property
    def active(self) -> bool:
        return self.page_views > 0

    @property
    def contributions_total(self) -> int:
        return sum(self.contributions.values())

    @property
    def lurker(self) -> bool:
        return self.page_views > self.lurker_threshold and self.contributions_total == 0


# -- monthly activity ------------------------------------------------------


async def monthly_activity(
    community: Community, first: date, last: date
) -> list[MonthlyActivity]:
    """Active, inactive and total customers for each month ``first..last``.

    Each company's customer months and viewed months become bits, one per
    month asked for; the counts are the bits each month has set.
    """
    validate_month_range(first, last)
    return await remembered(
        community.id,
        ("monthly", first, last),
        lambda: _monthly_activity(community, months_between(first, last)),
    )


async def _monthly_activity(
    community: Community, months: list[date]
) -> list[MonthlyActivity]:
    customers = await _customer_months(community, months)
    viewed = await _viewed_months(community, months)

    totals = _bit_counts(Counter(customers.values()), len(months))
    both = Counter(mask & viewed.get(company, 0) for company, mask in customers.items())
    actives = _bit_counts(both, len(months))
    return [
        MonthlyActivity(active=actives[i], total=totals[i], month=month)
        for i, month in enumerate(months)
    ]


async def _customer_months(community: Community, months: list[date]) -> dict[int, int]:
    """Per company, bit ``i`` set when it was a customer in ``months[i]``."""
    zone = zone_of(community)
    starts = [day_start(month, zone) for month in months]
    ends = [*starts[1:], day_start(next_month(months[-1]), zone)]
    rows = await fetch(
        "SELECT company_id, starts_at, ends_at FROM customer_period"
        " WHERE community_id = ? AND (starts_at IS NULL OR starts_at < ?)"
        " AND (ends_at IS NULL OR ends_at > ?)",
        [community.id, ends[-1], starts[0]],
    )
    found: dict[int, int] = defaultdict(int)
    for row in rows:
        start, end = as_datetime(row["starts_at"]), as_datetime(row["ends_at"])
        # The months a period overlaps: those ending after it starts and
        # starting before it ends.
        first = bisect_right(ends, start) if start else 0
        last = bisect_left(starts, end) if end else len(months)
        if first < last:
            found[row["company_id"]] |= (1 << last) - (1 << first)
    return found


async def _viewed_months(community: Community, months: list[date]) -> dict[int, int]:
    """Per company, bit ``i`` set when it had page views in ``months[i]``."""
    numbers = [month_number(month) for month in months]
    by_span: dict[int, list[int]] = defaultdict(list)
    for position, number in enumerate(numbers):
        by_span[number // SPAN_STEP].append(position)
    conn = connection()
    spans, params = in_list("span", list(by_span), conn, "int")
    rows = await fetch(
        "SELECT company_id, span, months FROM company_activity"
        f" WHERE community_id = ? AND {spans} AND months <> 0",
        [community.id, *params],
        conn,
    )
    found: dict[int, int] = defaultdict(int)
    for row in rows:
        positions = by_span[row["span"]]
        # The span's months asked for are consecutive bits, and so are
        # their positions: one shift moves them all.
        shift = numbers[positions[0]] - row["span"] * SPAN_STEP
        window = (1 << len(positions)) - 1
        found[row["company_id"]] |= ((row["months"] >> shift) & window) << positions[0]
    return found


def _bit_counts(masks: Counter[int], size: int) -> list[int]:
    """How many of the counted masks have each of ``size`` bits set."""
    counts = [0] * size
    for mask, times in masks.items():
        for bit in range(size):
            if mask >> bit & 1:
                counts[bit] += times
    return counts


# -- a range of dates --------------------------------------------------------


@dataclass(frozen=True)
class _Edge:
    """Days ``first..last`` of a month the range covers only in part."""

    month: date
    first: int
    last: int

    @property
    def day_mask(self) -> int:
        return (1 << self.last) - (1 << (self.first - 1))

    @property
    def view_columns(self) -> str:
        return " + ".join(DAY_VIEW_COLUMNS[self.first - 1 : self.last])


@dataclass(frozen=True)
class _Parts:
    """A range as the whole months it covers and the edges around them."""

    full: tuple[date, date] | None
    edges: tuple[_Edge, ...]

    @property
    def months(self) -> list[date]:
        covered = months_between(*self.full) if self.full else []
        return sorted([*covered, *(edge.month for edge in self.edges)])


def _parts(span: DateRange) -> _Parts:
    full = (span.full_months[0], span.full_months[-1]) if span.full_months else None
    edges = tuple(
        _Edge(month_of(first), first.day, last.day) for first, last in span.partial_days
    )
    return _Parts(full, edges)


async def company_page_views(
    community: Community,
    first: date,
    last: date,
    company_ids: Sequence[int] | None = None,
) -> dict[int, int]:
    """Attributed page views per company in a range; every company when None.

    Whole months come from their totals and the edge days from the same rows'
    day columns: one row per company and month.
    """
    parts = _parts(split_range(first, last))
    if company_ids is None:
        return await remembered(
            community.id,
            ("page_views", first, last),
            lambda: _company_page_views(community, parts, None),
        )
    return await _company_page_views(community, parts, company_ids)


async def _company_page_views(
    community: Community, parts: _Parts, company_ids: Sequence[int] | None
) -> dict[int, int]:
    conn = connection()
    only, only_params = _companies_filter(company_ids, conn)
    found: dict[int, int] = defaultdict(int)
    if parts.full:
        rows = await fetch(
            "SELECT company_id, SUM(page_views) AS page_views FROM company_month_rollup"
            f" WHERE community_id = ? AND month BETWEEN ? AND ?{only} GROUP BY company_id",
            [community.id, *parts.full, *only_params],
            conn,
        )
        for row in rows:
            found[row["company_id"]] += int(row["page_views"] or 0)
    # An edge's days, one row per company: a query of its own reads far
    # fewer values than one sum over every month would.
    for edge in parts.edges:
        rows = await fetch(
            f"SELECT company_id, {edge.view_columns} AS page_views"
            f" FROM company_month_rollup WHERE community_id = ? AND month = ?{only}",
            [community.id, edge.month, *only_params],
            conn,
        )
        for row in rows:
            found[row["company_id"]] += int(row["page_views"])
    return dict(found)


async def company_contributions(
    community: Community, first: date, last: date, company_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Attributed contributions by kind per company in a range."""
    conn = connection()
    span = split_range(first, last)
    parts = _parts(span)
    only, only_params = _companies_filter(company_ids, conn)
    kinds = list(KIND_COLUMNS.values())
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(kinds, 0))
    if parts.full:
        rows = await fetch(
            f"SELECT company_id, {_sums(kinds)} FROM company_month_rollup"
            f" WHERE community_id = ? AND month BETWEEN ? AND ?{only}"
            " GROUP BY company_id",
            [community.id, *parts.full, *only_params],
            conn,
        )
        _add_rows(found, rows, kinds)
    for days in span.partial_days:
        rows = await fetch(
            f"SELECT company_id, {_sums(kinds)} FROM company_day_contributions"
            f" WHERE community_id = ? AND day BETWEEN ? AND ?{only}"
            " GROUP BY company_id",
            [community.id, *days, *only_params],
            conn,
        )
        _add_rows(found, rows, kinds)
    return dict(found)


def _sums(columns: Sequence[str]) -> str:
    return ", ".join(f"SUM({name}) AS {name}" for name in columns)


def _add_rows(
    found: dict[int, dict[str, int]], rows: list[dict[str, Any]], kinds: list[str]
) -> None:
    for row in rows:
        for name in kinds:
            found[row["company_id"]][name] += int(row[name] or 0)


async def company_traffic(
    community: Community,
    first: date,
    last: date,
    company_ids: Sequence[int] | None = None,
) -> dict[int, dict[str, int]]:
    """Page views and contributions by kind per company, for a range of dates.

    All of the community's companies with activity when ``company_ids`` is None.
    """
    views = await company_page_views(community, first, last, company_ids)
    ids = list(views) if company_ids is None else company_ids
    contributed = await company_contributions(community, first, last, ids)
    kinds = list(KIND_COLUMNS.values())
    return {
        company_id: {
            "page_views": views.get(company_id, 0),
            **contributed.get(company_id, dict.fromkeys(kinds, 0)),
        }
        for company_id in {*views, *contributed}
    }


async def company_visitors(
    community: Community,
    first: date,
    last: date,
    company_ids: Sequence[int] | None = None,
) -> dict[int, int]:
    """Distinct attributed members with a page view in the range, per company."""

    async def count() -> dict[int, int]:
        rows = await _visitor_counts(
            community, first, last, company_ids, per_company=True
        )
        return {row["company_id"]: int(row["visitors"]) for row in rows}

    if company_ids is None:
        return await remembered(community.id, ("visitors", first, last), count)
    return await count()


async def _unique_visitors(community: Community, first: date, last: date) -> int:
    rows = await _visitor_counts(community, first, last, None, per_company=False)
    return int(rows[0]["visitors"]) if rows else 0


async def _visitor_counts(
    community: Community,
    first: date,
    last: date,
    company_ids: Sequence[int] | None,
    per_company: bool,
) -> list[dict[str, Any]]:
    """Members with a page view in the range, counted per company or in all.

    A range of up to 33 months reads one activity row per member: its months
    as bits, and the day bits of its edge months only where those decide.
    """
    conn = connection()
    parts = _parts(split_range(first, last))
    months = parts.months
    only, only_params = _companies_filter(company_ids, conn, "a.company_id")
    group = "a.company_id, " if per_company else ""
    named = " AND a.company_id IS NOT NULL" if per_company else ""
    if month_number(months[-1]) - month_number(months[0]) >= LONGEST_SPANNED_RANGE:
        return await _visitor_counts_long(community, parts, only, only_params, group)

    span = month_number(months[0]) // SPAN_STEP

    def bits(of: Iterable[date]) -> int:
        return sum(1 << (month_number(m) - span * SPAN_STEP) for m in of)

    full = bits(months_between(*parts.full) if parts.full else [])
    base = f"a.community_id = ? AND a.span = ?{named}{only}"
    base_params = [community.id, span, *only_params]
    selects = [
        f"SELECT a.company_id FROM member_activity a WHERE {base} AND a.months & ? <> 0"
    ]
    params: list[Any] = [*base_params, full]
    if parts.edges:
        # Only members seen in no whole month are looked up in an edge month's
        # day bits: a few, one index probe each.
        tests = " OR ".join(
            "mm.month = ? AND mm.view_days & ? <> 0" for _ in parts.edges
        )
        edge_months = [edge.month for edge in parts.edges]
        selects.append(
            f"SELECT a.company_id FROM member_activity a WHERE {base}"
            " AND a.months & ? = 0 AND a.months & ? <> 0 AND EXISTS (SELECT 1"
            " FROM member_month_rollup mm WHERE mm.member_id = a.member_id"
            f" AND mm.month IN ({', '.join('?' for _ in edge_months)}) AND ({tests}))"
        )
        params += [*base_params, full, bits(edge_months), *edge_months]
        params += [
            value for edge in parts.edges for value in (edge.month, edge.day_mask)
        ]
    grouped = " GROUP BY v.company_id" if group else ""
    return await fetch(
        f"SELECT {group.replace('a.', 'v.')}COUNT(*) AS visitors"
        f" FROM ({' UNION ALL '.join(selects)}) v{grouped}",
        params,
        conn,
    )


async def _visitor_counts_long(
    community: Community, parts: _Parts, only: str, only_params: list[Any], group: str
) -> list[dict[str, Any]]:
    """The same count for a range longer than a span, from the month rows."""
    conditions: list[str] = []
    params: list[Any] = []
    if parts.full:
        conditions.append("(mm.month BETWEEN ? AND ? AND mm.page_views > 0)")
        params += [*parts.full]
    for edge in parts.edges:
        conditions.append("(mm.month = ? AND mm.view_days & ? <> 0)")
        params += [edge.month, edge.day_mask]
    named = " AND m.attributed_company_id IS NOT NULL" if group else ""
    only = only.replace("a.company_id", "m.attributed_company_id")
    grouped = "m.attributed_company_id AS company_id, " if group else ""
    return await fetch(
        f"SELECT {grouped}COUNT(DISTINCT mm.member_id) AS visitors"
        " FROM member_month_rollup mm JOIN member m ON m.id = mm.member_id"
        f" WHERE mm.community_id = ? AND ({' OR '.join(conditions)}){named}{only}"
        f"{' GROUP BY m.attributed_company_id' if group else ''}",
        [community.id, *params, *only_params],
    )


def _companies_filter(
    company_ids: Sequence[int] | None,
    conn: BaseDBAsyncClient,
    column: str = "company_id",
) -> tuple[str, list[Any]]:
    if company_ids is None:
        return "", []
    condition, params = in_list(column, list(company_ids), conn)
    return f" AND {condition}", params


async def engagement_summary(
    community: Community, first: date, last: date
) -> EngagementSummary:
    """The customer counts, rate and traffic of a range of local dates."""
    split_range(first, last)  # refuses a bad range before anything is read
    return await remembered(
        community.id,
        ("summary", first, last),
        lambda: _engagement_summary(community, first, last),
    )


async def _engagement_summary(
    community: Community, first: date, last: date
) -> EngagementSummary:
    customers = await customer_ids(community, first, last)
    views = await company_page_views(community, first, last)
    active = sum(1 for company_id in customers if views.get(company_id, 0) > 0)
    visitors = await _unique_visitors(community, first, last)
    traffic = await fetch(
        "SELECT COALESCE(SUM(page_views), 0) AS views,"
        " COALESCE(SUM(anonymous_page_views), 0) AS anonymous"
        " FROM community_day_rollup WHERE community_id = ? AND day BETWEEN ? AND ?",
        [community.id, first, last],
    )
    months = await monthly_activity(
        community, first.replace(day=1), last.replace(day=1)
    )
    return EngagementSummary(
        active=active,
        total=len(customers),
        page_views=int(traffic[0]["views"]),
        unique_visitors=visitors,
        anonymous_page_views=int(traffic[0]["anonymous"]),
        months=months,
    )


async def customer_engagement(
    community: Community, first: date, last: date, company_ids: Sequence[int]
) -> dict[int, CustomerEngagement]:
    """Unique visitors, page views, contributions and lurker flag per company."""
    ids = tuple(company_ids)
    return await remembered(
        community.id,
        ("engagement", first, last, community.lurker_threshold, ids),
        lambda: _customer_engagement(community, first, last, ids),
    )


async def _customer_engagement(
    community: Community, first: date, last: date, company_ids: Sequence[int]
) -> dict[int, CustomerEngagement]:
    traffic = await company_traffic(community, first, last, company_ids)
    visitors = await company_visitors(community, first, last, company_ids)
    result = {}
    for company_id in company_ids:
        counts = traffic.get(company_id, {})
        result[company_id] = CustomerEngagement(
            page_views=counts.get("page_views", 0),
            unique_visitors=visitors.get(company_id, 0),
            contributions={k: counts.get(k, 0) for k in KIND_COLUMNS.values()},
            lurker_threshold=community.lurker_threshold,
        )
    return result


async def last_seen(
    community: Community, company_ids: Sequence[int] | None = None
) -> dict[int, datetime | None]:
    """The instant of each company's latest attributed page view, ever."""
    conn = connection()
    only, only_params = _companies_filter(company_ids, conn)
    rows = await fetch(
        "SELECT company_id, MAX(last_view_at) AS seen FROM company_month_rollup"
        f" WHERE community_id = ? AND page_views > 0{only} GROUP BY company_id",
        [community.id, *only_params],
        conn,
    )
    seen = {row["company_id"]: as_datetime(row["seen"]) for row in rows}
    if company_ids is None:
        return seen
    return {company_id: seen.get(company_id) for company_id in company_ids}


def _customers_cte(community: Community, span: DateRange) -> tuple[str, list[Any]]:
    start, end = span.bounds(zone_of(community))
    sql = (
        "customers AS (SELECT DISTINCT company_id FROM customer_period"
        " WHERE community_id = ? AND (starts_at IS NULL OR starts_at < ?)"
        " AND (ends_at IS NULL OR ends_at > ?))"
    )
    return sql, [community.id, end, start]


async def customer_ids(community: Community, first: date, last: date) -> set[int]:
    """Companies that were customers at some time in the range."""
    cte, params = _customers_cte(community, split_range(first, last))
    rows = await fetch(f"WITH {cte} SELECT company_id FROM customers", params)
    return {row["company_id"] for row in rows}
