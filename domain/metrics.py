"""The numbers the dashboard shows, read from the rollups.

A range of local dates is cut into the whole months it covers, read from the
month rollups, and the days at its edges, read from the day rollup; customer
status is read from customer periods against the range's UTC bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.communities import zone_of
from domain.db import connection, fetch
from domain.models import Community
from domain.periods import (
    DateRange,
    day_start,
    months_between,
    next_month,
    split_range,
    validate_month_range,
)
from domain.rollups import KIND_COLUMNS, as_date, as_datetime
from domain.sql import in_list, values_table


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
    """Active, inactive and total customers for each month ``first..last``."""
    validate_month_range(first, last)
    conn = connection()
    zone = zone_of(community)
    months = months_between(first, last)
    bounds = [(m, day_start(m, zone), day_start(next_month(m), zone)) for m in months]
    cte, params = values_table(
        "m",
        [("month", "date"), ("starts", "timestamptz"), ("ends", "timestamptz")],
        bounds,
        conn,
    )
    rows = await fetch(
        f"WITH {cte}, customers AS ("
        " SELECT DISTINCT m.month, cp.company_id FROM m JOIN customer_period cp"
        " ON cp.community_id = ? AND (cp.starts_at IS NULL OR cp.starts_at < m.ends)"
        " AND (cp.ends_at IS NULL OR cp.ends_at > m.starts))"
        " SELECT c.month, COUNT(*) AS total, COUNT(r.company_id) AS active"
        " FROM customers c LEFT JOIN company_month_rollup r ON r.company_id = c.company_id"
        " AND r.month = c.month AND r.page_views > 0 GROUP BY c.month",
        [*params, community.id],
        conn,
    )
    found = {as_date(row["month"]): row for row in rows}
    return [
        MonthlyActivity(
            active=found[m]["active"] if m in found else 0,
            total=found[m]["total"] if m in found else 0,
            month=m,
        )
        for m in months
    ]


# -- a range of dates --------------------------------------------------------


@dataclass(frozen=True)
class _Slices:
    """SQL conditions selecting a range from the month and the day rollups."""

    months: str
    month_params: list[Any]
    days: str
    day_params: list[Any]


def _slices(span: DateRange) -> _Slices:
    if span.full_months:
        months, month_params = (
            "month BETWEEN ? AND ?",
            [span.full_months[0], span.full_months[-1]],
        )
    else:
        months, month_params = "1 = 0", []
    if span.partial_days:
        days = "(" + " OR ".join("day BETWEEN ? AND ?" for _ in span.partial_days) + ")"
        day_params = [day for pair in span.partial_days for day in pair]
    else:
        days, day_params = "1 = 0", []
    return _Slices(months, month_params, days, day_params)


def _customers_cte(community: Community, span: DateRange) -> tuple[str, list[Any]]:
    start, end = span.bounds(zone_of(community))
    sql = (
        "customers AS (SELECT DISTINCT company_id FROM customer_period"
        " WHERE community_id = ? AND (starts_at IS NULL OR starts_at < ?)"
        " AND (ends_at IS NULL OR ends_at > ?))"
    )
    return sql, [community.id, end, start]


def _viewed_cte(community: Community, s: _Slices) -> tuple[str, list[Any]]:
    sql = (
        "viewed AS (SELECT company_id FROM company_month_rollup"
        f" WHERE community_id = ? AND {s.months} AND page_views > 0"
        " UNION SELECT company_id FROM member_day_rollup"
        f" WHERE community_id = ? AND {s.days} AND page_views > 0"
        " AND company_id IS NOT NULL)"
    )
    return sql, [community.id, *s.month_params, community.id, *s.day_params]


async def engagement_summary(
    community: Community, first: date, last: date
) -> EngagementSummary:
    """The customer counts, rate and traffic of a range of local dates."""
    span = split_range(first, last)
    conn = connection()
    slices = _slices(span)

    counts = await _range_counts(conn, community, span, slices)
    visitors = await _unique_visitors(conn, community, slices)
    traffic = await fetch(
        "SELECT COALESCE(SUM(page_views), 0) AS views,"
        " COALESCE(SUM(anonymous_page_views), 0) AS anonymous"
        " FROM community_day_rollup WHERE community_id = ? AND day BETWEEN ? AND ?",
        [community.id, first, last],
        conn,
    )
    months = await monthly_activity(
        community, first.replace(day=1), last.replace(day=1)
    )
    return EngagementSummary(
        active=counts.active,
        total=counts.total,
        page_views=int(traffic[0]["views"]),
        unique_visitors=visitors,
        anonymous_page_views=int(traffic[0]["anonymous"]),
        months=months,
    )


async def _range_counts(
    conn: BaseDBAsyncClient, community: Community, span: DateRange, slices: _Slices
) -> ActivityCounts:
    customers, customer_params = _customers_cte(community, span)
    viewed, viewed_params = _viewed_cte(community, slices)
    rows = await fetch(
        f"WITH {customers}, {viewed} SELECT COUNT(*) AS total,"
        " COUNT(v.company_id) AS active FROM customers c"
        " LEFT JOIN (SELECT DISTINCT company_id FROM viewed) v ON v.company_id = c.company_id",
        [*customer_params, *viewed_params],
        conn,
    )
    return ActivityCounts(active=rows[0]["active"], total=rows[0]["total"])


async def _unique_visitors(
    conn: BaseDBAsyncClient, community: Community, s: _Slices
) -> int:
    rows = await fetch(
        "SELECT COUNT(*) AS visitors FROM (SELECT member_id FROM member_month_rollup"
        f" WHERE community_id = ? AND {s.months} AND page_views > 0"
        " UNION SELECT member_id FROM member_day_rollup"
        f" WHERE community_id = ? AND {s.days} AND page_views > 0) u",
        [community.id, *s.month_params, community.id, *s.day_params],
        conn,
    )
    return int(rows[0]["visitors"])


# -- per customer --------------------------------------------------------------

_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in ("page_views", *KIND_COLUMNS.values()))
_COLUMNS = ", ".join(("company_id", "page_views", *KIND_COLUMNS.values()))


async def company_traffic(
    community: Community,
    first: date,
    last: date,
    company_ids: Sequence[int] | None = None,
) -> dict[int, dict[str, int]]:
    """Page views and contributions by kind per company, for a range of dates.

    All of the community's companies with activity when ``company_ids`` is None.
    """
    conn = connection()
    s = _slices(split_range(first, last))
    only, only_params = _companies_filter(company_ids, conn)
    rows = await fetch(
        f"SELECT company_id, {_SUMS} FROM ("
        f"SELECT {_COLUMNS} FROM company_month_rollup"
        f" WHERE community_id = ? AND {s.months}{only}"
        f" UNION ALL SELECT {_COLUMNS} FROM member_day_rollup"
        f" WHERE community_id = ? AND {s.days} AND company_id IS NOT NULL{only}"
        ") t GROUP BY company_id",
        [
            community.id,
            *s.month_params,
            *only_params,
            community.id,
            *s.day_params,
            *only_params,
        ],
        conn,
    )
    return {
        row.pop("company_id"): {k: int(v or 0) for k, v in row.items()} for row in rows
    }


async def company_visitors(
    community: Community,
    first: date,
    last: date,
    company_ids: Sequence[int] | None = None,
) -> dict[int, int]:
    """Distinct members with a page view in the range, per company."""
    conn = connection()
    s = _slices(split_range(first, last))
    only, only_params = _companies_filter(company_ids, conn)
    rows = await fetch(
        "SELECT company_id, COUNT(*) AS visitors FROM ("
        "SELECT company_id, member_id FROM member_month_rollup"
        f" WHERE community_id = ? AND {s.months} AND page_views > 0"
        f" AND company_id IS NOT NULL{only}"
        " UNION SELECT company_id, member_id FROM member_day_rollup"
        f" WHERE community_id = ? AND {s.days} AND page_views > 0"
        f" AND company_id IS NOT NULL{only}"
        ") t GROUP BY company_id",
        [
            community.id,
            *s.month_params,
            *only_params,
            community.id,
            *s.day_params,
            *only_params,
        ],
        conn,
    )
    return {row["company_id"]: int(row["visitors"]) for row in rows}


def _companies_filter(
    company_ids: Sequence[int] | None, conn: BaseDBAsyncClient
) -> tuple[str, list[Any]]:
    if company_ids is None:
        return "", []
    condition, params = in_list("company_id", list(company_ids), conn)
    return f" AND {condition}", params


async def customer_engagement(
    community: Community, first: date, last: date, company_ids: Sequence[int]
) -> dict[int, CustomerEngagement]:
    """Unique visitors, page views, contributions and lurker flag per company."""
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


async def customer_ids(community: Community, first: date, last: date) -> set[int]:
    """Companies that were customers at some time in the range."""
    cte, params = _customers_cte(community, split_range(first, last))
    rows = await fetch(f"WITH {cte} SELECT company_id FROM customers", params)
    return {row["company_id"] for row in rows}
