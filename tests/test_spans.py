"""Distinct visitors of ranges short and long, across the spans of month bits.

Active months are kept as bits of 63-month spans that start every 30 months
(January 2020, July 2022, January 2025 among them); a range of up to 33 months
is read from one span, a longer one from the month rows. Both must count the
same members a plain loop over the views counts.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.metrics import company_visitors, engagement_summary, monthly_activity
from tests import factories as f

# (member, company, instant): the views of the story, every one attributed.
VIEWS = [
    ("m1", "A", "2019-12-31T12:00"),
    ("m1", "A", "2022-06-30T12:00"),
    ("m2", "A", "2020-01-01T00:30"),
    ("m2", "A", "2024-12-31T23:00"),
    ("m3", "B", "2022-07-01T08:00"),
    ("m3", "B", "2025-01-02T08:00"),
    ("m4", "B", "2021-03-15T12:00"),
    ("m5", "A", "2023-02-10T12:00"),
]

RANGES = [
    ("2019-12-31", "2019-12-31"),  # one day
    ("2020-01-02", "2022-06-29"),  # inside the first span, edges excluded
    ("2019-12-15", "2022-07-01"),  # 32 months across a span start
    ("2019-12-01", "2022-08-31"),  # 33 months: the longest one span holds
    ("2019-12-01", "2022-09-30"),  # 34 months: read from the month rows
    ("2020-01-01", "2024-12-31"),  # five years
    ("2021-03-16", "2025-01-01"),  # long, with edge days that exclude m3, m4
]


def expected(first: str, last: str) -> tuple[int, dict[str, int]]:
    """Members and members per company with a view in the range: a plain loop."""
    seen = {
        (member, company)
        for member, company, at in VIEWS
        if date.fromisoformat(first)
        <= date.fromisoformat(at[:10])
        <= date.fromisoformat(last)
    }
    companies: dict[str, int] = {}
    for _, company in seen:
        companies[company] = companies.get(company, 0) + 1
    return len({member for member, _ in seen}), companies


@pytest.mark.parametrize(("first", "last"), RANGES)
async def test_visitors_of_any_range_are_the_members_seen_in_it(db, first, last):
    community = await f.community("UTC")
    companies = {name: await f.company(community, name) for name in ("A", "B")}
    for member, company, at in VIEWS:
        await f.link(community, member, companies[company])
        await f.views(community, member, f.utc(at))

    summary = await engagement_summary(community, f.day(first), f.day(last))
    per_company = await company_visitors(community, f.day(first), f.day(last))

    total, by_company = expected(first, last)
    assert summary.unique_visitors == total
    assert {
        name: per_company[company.id]
        for name, company in companies.items()
        if per_company.get(company.id)
    } == by_company


async def test_monthly_activity_over_five_years_reads_every_span(db):
    community = await f.community("UTC")
    companies = {name: await f.company(community, name) for name in ("A", "B")}
    await f.company(community, "C", periods=[(f.utc("2022-07-01T00:00"), None)])
    for member, company, at in VIEWS:
        await f.link(community, member, companies[company])
        await f.views(community, member, f.utc(at))

    months = await monthly_activity(community, f.day("2020-01-01"), f.day("2024-12-01"))

    viewed = {(at[:7], company) for _, company, at in VIEWS}
    for counts in months:
        label = f"{counts.month:%Y-%m}"
        assert counts.total == (3 if label >= "2022-07" else 2), label
        active = {company for month, company in viewed if month == label}
        assert counts.active == len(active), label
    assert len(months) == 60
