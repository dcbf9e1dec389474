"""Edge cases of the metrics; every expected number is counted by hand in the test.

Instants are written in UTC, with the local time they stand for in a comment
when the community's zone is not UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.activity import record_contributions, record_page_views
from domain.attribution import reattribute_members
from domain.communities import get_community, update_community_settings
from domain.customers import ActivityFilter, CustomerOrder, list_customers
from domain.db import fetch
from domain.members import link_member
from domain.metrics import (
    CustomerEngagement,
    EngagementSummary,
    customer_engagement,
    engagement_summary,
    last_seen,
    monthly_activity,
)
from domain.models import Community, Company, ContributionKind, PageView
from domain.rebuild import ROLLUP_TABLES
from tests import factories as f
from tests.factories import day, utc

pytestmark = pytest.mark.usefixtures("db")

Day = str | date


def _date(value: Day) -> date:
    return value if isinstance(value, date) else day(value)


async def months(
    community: Community, first: Day, last: Day
) -> list[tuple[str, int, int, int]]:
    """``(month, active, inactive, total)`` of each month ``first`` to ``last``."""
    rows = await monthly_activity(community, _date(first), _date(last))
    return [(f"{r.month:%Y-%m}", r.active, r.inactive, r.total) for r in rows]


async def summary(community: Community, first: Day, last: Day) -> EngagementSummary:
    return await engagement_summary(community, _date(first), _date(last))


async def engagement(
    community: Community, company: Company, first: Day, last: Day
) -> CustomerEngagement:
    found = await customer_engagement(
        community, _date(first), _date(last), [company.id]
    )
    return found[company.id]


async def views_of(
    community: Community, company: Company, first: Day, last: Day
) -> int:
    return (await engagement(community, company, first, last)).page_views


async def seen(community: Community, company: Company) -> datetime | None:
    return (await last_seen(community, [company.id]))[company.id]


async def names(
    community: Community, first: Day, last: Day, **options: Any
) -> list[str]:
    page, _ = await list_customers(community, _date(first), _date(last), **options)
    return [row.name for row in page.rows]


def month_end(within: date) -> date:
    """The last day of the month of ``within``."""
    return (within.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)


async def linked_company(community: Community, name: str, member: str) -> Company:
    """An always-customer company with one linked member."""
    created = await f.company(community, name)
    await f.link(community, member, created)
    return created


# -- customer periods ---------------------------------------------------------


async def test_churn_inside_a_month_counts_that_month_not_the_next():
    """Churned on 10 February: a customer in February, none in March despite views."""
    community = await f.community()
    beta = await f.company(community, "Beta", [(None, utc("2024-02-10T00:00"))])
    await f.link(community, "b1", beta)
    await f.views(community, "b1", utc("2024-02-05T12:00"), utc("2024-03-15T12:00"))

    result = await months(community, "2024-01-01", "2024-03-01")
    day_before = await summary(community, "2024-02-09", "2024-02-09")
    from_churn_day = await summary(community, "2024-02-10", "2024-02-29")

    assert result == [
        ("2024-01", 0, 1, 1),
        ("2024-02", 1, 0, 1),
        ("2024-03", 0, 0, 0),
    ]
    assert (day_before.active, day_before.total, day_before.rate) == (0, 1, 0.0)
    assert (from_churn_day.total, from_churn_day.rate) == (0, None)


async def test_win_back_after_a_gap_month_is_no_customer_in_the_gap():
    """Churned 10 January, back 5 March: a February view makes no February customer."""
    community = await f.community()
    hotel = await f.company(
        community,
        "Hotel",
        [(None, utc("2024-01-10T00:00")), (utc("2024-03-05T00:00"), None)],
    )
    await f.link(community, "h1", hotel)
    await f.views(
        community,
        "h1",
        utc("2024-01-05T12:00"),
        utc("2024-02-20T12:00"),
        utc("2024-03-20T12:00"),
    )

    result = await months(community, "2024-01-01", "2024-03-01")
    february = await summary(community, "2024-02-01", "2024-02-29")
    february_views = await views_of(community, hotel, "2024-02-01", "2024-02-29")

    assert result == [
        ("2024-01", 1, 0, 1),
        ("2024-02", 0, 0, 0),
        ("2024-03", 1, 0, 1),
    ]
    assert (february.total, february.rate, february.page_views) == (0, None, 1)
    assert february_views == 1  # engagement still counts days it was no customer


async def test_period_ending_at_a_month_start_does_not_count_in_that_month():
    """Ends 1 March 00:00 UTC: no March customer, even with a view at that instant."""
    community = await f.community()
    gone = await f.company(community, "Gone", [(None, utc("2024-03-01T00:00"))])
    await f.link(community, "g1", gone)
    await f.views(community, "g1", utc("2024-03-01T00:00"))

    result = await months(community, "2024-02-01", "2024-03-01")
    first_of_march = await summary(community, "2024-03-01", "2024-03-01")

    assert result == [("2024-02", 0, 1, 1), ("2024-03", 0, 0, 0)]
    assert (first_of_march.total, first_of_march.page_views) == (0, 1)


async def test_period_ending_at_local_midnight_after_the_dst_start():
    """New York's April starts at 04:00Z (EDT): an end then is not in April."""
    community = await f.community("America/New_York")
    await f.company(community, "Midnight", [(None, utc("2024-04-01T04:00"))])
    await f.company(community, "Minute after", [(None, utc("2024-04-01T04:01"))])

    result = await months(community, "2024-03-01", "2024-04-01")
    april = await names(community, "2024-04-01", "2024-04-30")

    assert result == [("2024-03", 0, 2, 2), ("2024-04", 0, 1, 1)]
    assert april == ["Minute after"]


async def test_customer_from_mid_month_counts_that_month():
    """From 20 February: February on; from 1 March 00:00: not in February."""
    community = await f.community()
    await f.company(community, "Mid", [(utc("2024-02-20T00:00"), None)])
    await f.company(community, "March", [(utc("2024-03-01T00:00"), None)])

    result = await months(community, "2024-01-01", "2024-03-01")
    february = await names(community, "2024-02-01", "2024-02-29")

    assert result == [
        ("2024-01", 0, 0, 0),
        ("2024-02", 0, 1, 1),
        ("2024-03", 0, 2, 2),
    ]
    assert february == ["Mid"]


async def test_customer_without_members_is_inactive_and_never_seen():
    """Lonely has no member at all: inactive, no engagement, last seen None."""
    community = await f.community()
    await linked_company(community, "Acme", "a1")
    lonely = await f.company(community, "Lonely")
    await f.views(community, "a1", utc("2024-02-10T12:00"))

    result = await months(community, "2024-02-01", "2024-02-01")
    inactive = await names(
        community, "2024-02-01", "2024-02-29", activity=ActivityFilter.INACTIVE
    )
    stats = await engagement(community, lonely, "2024-02-01", "2024-02-29")
    never = await seen(community, lonely)

    assert result == [("2024-02", 1, 1, 2)]
    assert inactive == ["Lonely"]
    assert (stats.page_views, stats.unique_visitors, stats.active) == (0, 0, False)
    assert (stats.contributions_total, stats.lurker) == (0, False)
    assert never is None


async def test_views_before_becoming_a_customer_count():
    """Customer from 20 February; views on 10 January and 5 February."""
    community = await f.community()
    newco = await f.company(community, "Newco", [(utc("2024-02-20T00:00"), None)])
    await f.link(community, "n1", newco)
    await f.views(community, "n1", utc("2024-01-10T12:00"), utc("2024-02-05T12:00"))

    stats = await engagement(community, newco, "2024-01-01", "2024-02-29")
    result = await months(community, "2024-01-01", "2024-02-01")
    up_to_25th = await summary(community, "2024-02-01", "2024-02-25")
    up_to_19th = await summary(community, "2024-02-01", "2024-02-19")
    active = await names(
        community, "2024-02-01", "2024-02-29", activity=ActivityFilter.ACTIVE
    )

    assert (stats.page_views, stats.unique_visitors) == (2, 1)
    assert result == [("2024-01", 0, 0, 0), ("2024-02", 1, 0, 1)]
    assert (up_to_25th.active, up_to_25th.total) == (1, 1)
    assert (up_to_19th.active, up_to_19th.total) == (0, 0)
    assert active == ["Newco"]


# -- attribution --------------------------------------------------------------


async def test_late_link_credits_views_recorded_before_the_link():
    """An unlinked member's views and topic count for Acme once it is linked."""
    community = await f.community()
    acme = await f.company(community, "Acme")
    await f.views(community, "m1", utc("2024-01-10T12:00"), utc("2024-02-10T12:00"))
    await f.contribution(
        community, "m1", utc("2024-02-11T12:00"), ContributionKind.TOPIC
    )
    before = await engagement(community, acme, "2024-01-01", "2024-02-29")

    await f.link(community, "m1", acme)
    whole = await engagement(community, acme, "2024-01-01", "2024-02-29")
    days = await engagement(community, acme, "2024-02-05", "2024-02-15")
    result = await months(community, "2024-01-01", "2024-02-01")
    latest = await seen(community, acme)

    assert (before.page_views, before.contributions_total) == (0, 0)
    assert (whole.page_views, whole.unique_visitors) == (2, 1)
    assert whole.contributions["topics"] == 1
    assert (days.page_views, days.contributions["topics"]) == (1, 1)
    assert result == [("2024-01", 1, 0, 1), ("2024-02", 1, 0, 1)]
    assert latest == utc("2024-02-10T12:00")


async def test_relink_moves_all_history_and_recomputes_last_seen():
    """m1 moves from Acme to Beta; Acme keeps only m2's earlier January view."""
    community = await f.community()
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta")
    await f.link(community, "m1", acme)
    await f.link(community, "m2", acme)
    await f.views(community, "m1", utc("2024-01-25T12:00"), utc("2024-02-10T12:00"))
    await f.views(community, "m2", utc("2024-01-20T12:00"))
    await f.contribution(community, "m1", utc("2024-02-11T12:00"))
    both = [acme.id, beta.id]

    await f.link(community, "m1", beta)
    whole = await customer_engagement(
        community, day("2024-01-01"), day("2024-02-29"), both
    )
    days = await customer_engagement(
        community, day("2024-02-05"), day("2024-02-15"), both
    )
    result = await months(community, "2024-01-01", "2024-02-01")
    latest = await last_seen(community, both)

    acme_whole, beta_whole = whole[acme.id], whole[beta.id]
    assert (acme_whole.page_views, acme_whole.unique_visitors) == (1, 1)
    assert acme_whole.contributions_total == 0
    assert (beta_whole.page_views, beta_whole.unique_visitors) == (2, 1)
    assert beta_whole.contributions["replies"] == 1
    assert (days[acme.id].page_views, days[beta.id].page_views) == (0, 1)
    assert days[beta.id].contributions["replies"] == 1
    assert result == [("2024-01", 2, 0, 2), ("2024-02", 1, 1, 2)]
    assert latest == {
        acme.id: utc("2024-01-20T12:00"),
        beta.id: utc("2024-02-10T12:00"),
    }


async def test_unlink_detaches_history_and_leaves_the_company_never_seen():
    """After unlinking its only member Acme has no views, no visitor, no last seen."""
    community = await f.community()
    acme = await linked_company(community, "Acme", "m1")
    await f.views(community, "m1", utc("2024-02-10T12:00"), utc("2024-02-12T12:00"))
    await f.contribution(community, "m1", utc("2024-02-11T12:00"))

    await f.unlink(community, "m1")
    whole = await engagement(community, acme, "2024-02-01", "2024-02-29")
    days = await engagement(community, acme, "2024-02-11", "2024-02-12")
    result = await months(community, "2024-02-01", "2024-02-01")
    february = await summary(community, "2024-02-01", "2024-02-29")
    never = await seen(community, acme)

    assert (whole.page_views, whole.unique_visitors) == (0, 0)
    assert whole.contributions_total == 0
    assert (days.page_views, days.contributions_total) == (0, 0)
    assert result == [("2024-02", 0, 1, 1)]
    assert never is None
    assert february.page_views == 2  # the community's traffic keeps them


async def snapshot(community: Community) -> dict[Any, Any]:
    """Every metric of January to March 2024, companies by name."""
    companies = await Company.filter(community_id=community.id)
    ids = [c.id for c in companies]
    name = {c.id: c.name for c in companies}
    result: dict[Any, Any] = {
        "months": await months(community, "2024-01-01", "2024-03-01")
    }
    for first, last in (("2024-01-01", "2024-03-31"), ("2024-02-05", "2024-03-10")):
        s = await summary(community, first, last)
        result[first, last] = (
            s.active,
            s.total,
            s.page_views,
            s.unique_visitors,
            s.anonymous_page_views,
        )
        found = await customer_engagement(community, day(first), day(last), ids)
        result[first, last, "customers"] = {
            name[i]: (e.page_views, e.unique_visitors, e.contributions)
            for i, e in found.items()
        }
    seen_at = await last_seen(community, ids)
    result["last seen"] = {name[i]: at for i, at in seen_at.items()}
    return result


async def _relink(community: Community, target: Company, enrich: bool) -> None:
    if enrich:
        await f.link(community, "m1", target)
    else:
        await link_member(community.id, "m1", target.id)


@pytest.mark.parametrize("enrich", [True, False], ids=["each-time", "at-the-end"])
async def test_relinking_back_and_forth_ends_like_a_single_link(enrich):
    """Acme, Beta, Acme, Beta, Acme with activity in between equals Acme once."""
    single = await f.community()
    single_acme = await f.company(single, "Acme")
    await f.company(single, "Beta")
    await f.link(single, "m1", single_acme)
    await f.views(single, "m1", utc("2024-01-10T12:00"), utc("2024-02-10T12:00"))
    await f.contribution(single, "m1", utc("2024-02-11T12:00"))
    await f.views(single, "m1", utc("2024-03-05T12:00"))
    hopping = await f.community()
    acme = await f.company(hopping, "Acme")
    beta = await f.company(hopping, "Beta")

    await _relink(hopping, acme, enrich)
    await f.views(hopping, "m1", utc("2024-01-10T12:00"))
    await _relink(hopping, beta, enrich)
    await f.views(hopping, "m1", utc("2024-02-10T12:00"))
    await f.contribution(hopping, "m1", utc("2024-02-11T12:00"))
    await _relink(hopping, acme, enrich)
    await _relink(hopping, beta, enrich)
    await f.views(hopping, "m1", utc("2024-03-05T12:00"))
    await _relink(hopping, acme, enrich)
    await reattribute_members(hopping.id, [await f.member_id(hopping, "m1")])
    hopped = await snapshot(hopping)
    expected = await snapshot(single)

    assert hopped == expected
    assert hopped["months"] == [
        ("2024-01", 1, 1, 2),
        ("2024-02", 1, 1, 2),
        ("2024-03", 1, 1, 2),
    ]
    assert hopped["2024-01-01", "2024-03-31", "customers"]["Acme"][:2] == (3, 1)
    assert hopped["2024-01-01", "2024-03-31", "customers"]["Beta"][:2] == (0, 0)
    assert hopped["last seen"] == {"Acme": utc("2024-03-05T12:00"), "Beta": None}


async def rollup_rows(community: Community) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row of the community, without its surrogate id."""
    rows = {}
    for table in ROLLUP_TABLES:
        found = await fetch(
            f"SELECT * FROM {table} WHERE community_id = ?", [community.id]
        )
        rows[table] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "id"))
            for row in found
        )
    return rows


async def test_reattributing_twice_changes_nothing():
    """The second run moves no row and leaves every rollup row as it was."""
    community = await f.community()
    await linked_company(community, "Acme", "m1")
    beta = await f.company(community, "Beta")
    await f.views(community, "m1", utc("2024-01-10T12:00"), utc("2024-02-10T12:00"))
    await f.contribution(community, "m1", utc("2024-02-11T12:00"))
    await link_member(community.id, "m1", beta.id)
    m1 = await f.member_id(community, "m1")

    first_run = await reattribute_members(community.id, [m1])
    rows_after_first = await rollup_rows(community)
    metrics_after_first = await snapshot(community)
    second_run = await reattribute_members(community.id, [m1])
    rows_after_second = await rollup_rows(community)
    metrics_after_second = await snapshot(community)

    assert (first_run, second_run) == (2, 0)  # m1's January and February rows
    assert rows_after_second == rows_after_first
    assert metrics_after_second == metrics_after_first
    customers = metrics_after_second["2024-01-01", "2024-03-31", "customers"]
    assert (customers["Beta"][:2], customers["Acme"][:2]) == ((2, 1), (0, 0))


# -- anonymous views ----------------------------------------------------------


async def test_anonymous_views_count_for_the_community_only():
    """Three anonymous views, one with a member's id as its anonymous id."""
    community = await f.community()
    acme = await linked_company(community, "Acme", "m1")
    await f.views(community, "m1", utc("2024-02-10T12:00"))
    await f.views(
        community,
        None,
        utc("2024-02-11T12:00"),
        utc("2024-02-12T12:00"),
        anonymous="anon-1",
    )
    await f.views(community, None, utc("2024-02-13T12:00"), anonymous="m1")

    february = await summary(community, "2024-02-01", "2024-02-29")
    anonymous_days = await summary(community, "2024-02-11", "2024-02-13")
    stats = await engagement(community, acme, "2024-02-01", "2024-02-29")
    latest = await seen(community, acme)

    assert (february.page_views, february.anonymous_page_views) == (4, 3)
    assert february.unique_visitors == 1
    assert (anonymous_days.page_views, anonymous_days.anonymous_page_views) == (3, 3)
    assert (anonymous_days.unique_visitors, anonymous_days.active) == (0, 0)
    assert (stats.page_views, stats.unique_visitors) == (1, 1)
    assert latest == utc("2024-02-10T12:00")


# -- time zones, DST and 29 February ------------------------------------------

# (zone, view instant in UTC, its local date): one minute either side of the
# local midnight that starts or ends a month with a DST change.
MIDNIGHT_EDGES = [
    ("America/New_York", "2024-03-01T04:59", "2024-02-29"),  # 23:59 EST
    ("America/New_York", "2024-03-01T05:01", "2024-03-01"),  # 00:01 EST
    ("America/New_York", "2024-04-01T03:59", "2024-03-31"),  # 23:59 EDT
    ("America/New_York", "2024-04-01T04:01", "2024-04-01"),  # 00:01 EDT
    ("America/New_York", "2024-11-01T03:59", "2024-10-31"),  # 23:59 EDT
    ("America/New_York", "2024-11-01T04:01", "2024-11-01"),  # 00:01 EDT
    ("America/New_York", "2024-12-01T04:59", "2024-11-30"),  # 23:59 EST
    ("America/New_York", "2024-12-01T05:01", "2024-12-01"),  # 00:01 EST
    ("Europe/Berlin", "2024-02-29T22:59", "2024-02-29"),  # 23:59 CET
    ("Europe/Berlin", "2024-02-29T23:01", "2024-03-01"),  # 00:01 CET
    ("Europe/Berlin", "2024-03-31T21:59", "2024-03-31"),  # 23:59 CEST
    ("Europe/Berlin", "2024-03-31T22:01", "2024-04-01"),  # 00:01 CEST
    ("Europe/Berlin", "2024-09-30T21:59", "2024-09-30"),  # 23:59 CEST
    ("Europe/Berlin", "2024-09-30T22:01", "2024-10-01"),  # 00:01 CEST
    ("Europe/Berlin", "2024-10-31T22:59", "2024-10-31"),  # 23:59 CET
    ("Europe/Berlin", "2024-10-31T23:01", "2024-11-01"),  # 00:01 CET
    ("Australia/Sydney", "2024-03-31T12:59", "2024-03-31"),  # 23:59 AEDT
    ("Australia/Sydney", "2024-03-31T13:01", "2024-04-01"),  # 00:01 AEDT
    ("Australia/Sydney", "2024-04-30T13:59", "2024-04-30"),  # 23:59 AEST
    ("Australia/Sydney", "2024-04-30T14:01", "2024-05-01"),  # 00:01 AEST
    ("Australia/Sydney", "2024-09-30T13:59", "2024-09-30"),  # 23:59 AEST
    ("Australia/Sydney", "2024-09-30T14:01", "2024-10-01"),  # 00:01 AEST
    ("Australia/Sydney", "2024-10-31T12:59", "2024-10-31"),  # 23:59 AEDT
    ("Australia/Sydney", "2024-10-31T13:01", "2024-11-01"),  # 00:01 AEDT
]


@pytest.mark.parametrize(("zone", "instant", "local_date"), MIDNIGHT_EDGES)
async def test_view_beside_local_midnight_lands_in_its_local_day_and_month(
    zone, instant, local_date
):
    """A view a minute from a month's local midnight counts on its side only."""
    community = await f.community(zone)
    acme = await linked_company(community, "Acme", "m1")
    landed = day(local_date)
    # The day across that midnight: the 1st's eve, or the last day's morrow.
    across = landed - timedelta(days=1) if landed.day == 1 else landed + timedelta(1)
    landed_month, across_month = landed.replace(day=1), across.replace(day=1)

    await f.views(community, "m1", utc(instant))
    on_day = await views_of(community, acme, landed, landed)
    across_day = await views_of(community, acme, across, across)
    whole_month = await views_of(community, acme, landed_month, month_end(landed))
    across_month_views = await views_of(
        community, acme, across_month, month_end(across)
    )
    activity = await monthly_activity(
        community, min(landed_month, across_month), max(landed_month, across_month)
    )
    traffic_on_day = await summary(community, landed, landed)
    traffic_across = await summary(community, across, across)

    assert (on_day, across_day) == (1, 0)
    assert (whole_month, across_month_views) == (1, 0)
    assert {m.month: m.active for m in activity} == {landed_month: 1, across_month: 0}
    assert (traffic_on_day.page_views, traffic_across.page_views) == (1, 0)


# (zone, DST-change day, views at the eve's last minute, the day's first and
# last minutes and the morrow's first minute): two views land on the day.
DST_DAYS = [
    pytest.param(
        "America/New_York",
        "2024-03-10",
        "2024-03-10T04:59 2024-03-10T05:00 2024-03-11T03:59 2024-03-11T04:00",
        id="new-york-23h",
    ),
    pytest.param(
        "America/New_York",
        "2024-11-03",
        "2024-11-03T03:59 2024-11-03T04:00 2024-11-04T04:59 2024-11-04T05:00",
        id="new-york-25h",
    ),
    pytest.param(
        "Europe/Berlin",
        "2024-03-31",
        "2024-03-30T22:59 2024-03-30T23:00 2024-03-31T21:59 2024-03-31T22:00",
        id="berlin-23h-month-end",
    ),
    pytest.param(
        "Europe/Berlin",
        "2024-10-27",
        "2024-10-26T21:59 2024-10-26T22:00 2024-10-27T22:59 2024-10-27T23:00",
        id="berlin-25h",
    ),
    pytest.param(
        "Australia/Sydney",
        "2024-04-07",
        "2024-04-06T12:59 2024-04-06T13:00 2024-04-07T13:59 2024-04-07T14:00",
        id="sydney-25h",
    ),
    pytest.param(
        "Australia/Sydney",
        "2024-10-06",
        "2024-10-05T13:59 2024-10-05T14:00 2024-10-06T12:59 2024-10-06T13:00",
        id="sydney-23h",
    ),
]


@pytest.mark.parametrize(("zone", "change_day", "instants"), DST_DAYS)
async def test_range_whose_edge_day_is_a_dst_change_day(zone, change_day, instants):
    """The change day holds 2 views; a range ending or starting on it holds 3."""
    community = await f.community(zone)
    acme = await linked_company(community, "Acme", "m1")
    await f.views(community, "m1", *(utc(instant) for instant in instants.split()))
    changed = day(change_day)
    week = timedelta(days=6)

    only_the_day = await views_of(community, acme, changed, changed)
    ending_on_it = await views_of(community, acme, changed - week, changed)
    starting_on_it = await views_of(community, acme, changed, changed + week)
    traffic = await summary(community, changed, changed)

    assert (only_the_day, ending_on_it, starting_on_it) == (2, 3, 3)
    assert (traffic.page_views, traffic.unique_visitors, traffic.active) == (2, 1, 1)


@pytest.mark.parametrize(
    ("zone", "change_day", "starts", "ends"),
    [
        pytest.param(
            "America/New_York",
            "2024-03-10",
            "2024-03-10T05:00",
            "2024-03-11T04:00",
            id="new-york-23h",
        ),
        pytest.param(
            "Europe/Berlin",
            "2024-10-27",
            "2024-10-26T22:00",
            "2024-10-27T23:00",
            id="berlin-25h",
        ),
    ],
)
async def test_customer_status_on_a_dst_change_day(zone, change_day, starts, ends):
    """Periods ending at the day's first instant or starting at its end miss it."""
    community = await f.community(zone)
    minute = timedelta(minutes=1)
    await f.company(community, "Ended as it began", [(None, utc(starts))])
    await f.company(community, "Ended a minute in", [(None, utc(starts) + minute)])
    await f.company(community, "Starts as it ends", [(utc(ends), None)])
    await f.company(community, "Starts a minute early", [(utc(ends) - minute, None)])

    on_the_day = await names(community, change_day, change_day)

    assert on_the_day == ["Ended a minute in", "Starts a minute early"]


async def test_29_february_counts_in_february_and_ranges_around_it():
    """New York, views at local midnights around 29 February 2024."""
    community = await f.community("America/New_York")
    acme = await linked_company(community, "Acme", "m1")
    await f.views(
        community,
        "m1",
        utc("2024-02-29T04:59"),  # 28 February 23:59
        utc("2024-02-29T05:00"),  # 29 February 00:00
        utc("2024-03-01T04:59"),  # 29 February 23:59
        utc("2024-03-01T05:00"),  # 1 March 00:00
        utc("2024-03-02T05:00"),  # 2 March 00:00
    )

    february = await views_of(community, acme, "2024-02-01", "2024-02-29")
    ending_on_29th = await views_of(community, acme, "2024-02-15", "2024-02-29")
    only_29th = await views_of(community, acme, "2024-02-29", "2024-02-29")
    leap_pair = await views_of(community, acme, "2024-02-29", "2024-03-01")
    leap_pair_summary = await summary(community, "2024-02-29", "2024-03-01")
    result = await months(community, "2024-02-01", "2024-03-01")

    assert (february, ending_on_29th, only_29th, leap_pair) == (3, 3, 2, 3)
    assert (leap_pair_summary.page_views, leap_pair_summary.unique_visitors) == (3, 1)
    assert [(m.month, m.active) for m in leap_pair_summary.months] == [
        (date(2024, 2, 1), 1),
        (date(2024, 3, 1), 1),
    ]
    assert result == [("2024-02", 1, 0, 1), ("2024-03", 1, 0, 1)]


async def test_range_off_month_boundaries_matches_counting_by_hand():
    """Berlin, 15 January to 10 March: edge minutes, a full February, two companies."""
    community = await f.community("Europe/Berlin")
    acme = await linked_company(community, "Acme", "a1")
    beta = await linked_company(community, "Beta", "b1")
    await f.link(community, "a2", acme)
    await f.views(
        community,
        "a1",
        utc("2024-01-14T22:59"),  # 14 Jan 23:59, out
        utc("2024-01-14T23:00"),  # 15 Jan 00:00, in
        utc("2024-02-10T12:00"),  # in
        utc("2024-03-10T22:59"),  # 10 Mar 23:59, in
        utc("2024-03-10T23:00"),  # 11 Mar 00:00, out
    )
    await f.views(community, "a2", utc("2023-12-20T12:00"), utc("2024-04-02T12:00"))
    await f.contribution(
        community, "a2", utc("2024-02-01T12:00"), ContributionKind.TOPIC
    )
    await f.views(
        community,
        "b1",
        utc("2024-01-31T23:30"),  # 1 Feb 00:30, in
        utc("2024-01-31T23:30"),  # a refresh: a second view, in
    )
    await f.contribution(community, "b1", utc("2024-03-10T22:30"))  # in
    await f.contribution(
        community, "b1", utc("2024-03-10T23:30"), ContributionKind.REACTION
    )  # 11 March, out
    await f.contribution(
        community, "b1", utc("2024-01-14T22:30"), ContributionKind.SOLUTION
    )  # 14 January, out
    await f.views(community, "u1", utc("2024-02-15T12:00"))  # no company

    found = await customer_engagement(
        community, day("2024-01-15"), day("2024-03-10"), [acme.id, beta.id]
    )
    totals = await summary(community, "2024-01-15", "2024-03-10")

    nothing = {"topics": 0, "replies": 0, "reactions": 0, "solutions": 0, "ideas": 0}
    acme_stats, beta_stats = found[acme.id], found[beta.id]
    assert (acme_stats.page_views, acme_stats.unique_visitors) == (3, 1)
    assert acme_stats.contributions == {**nothing, "topics": 1}
    assert (beta_stats.page_views, beta_stats.unique_visitors) == (2, 1)
    assert beta_stats.contributions == {**nothing, "replies": 1}
    assert (totals.page_views, totals.unique_visitors) == (6, 3)
    assert (totals.anonymous_page_views, totals.active, totals.total) == (0, 2, 2)


async def test_time_zone_change_rebuilds_the_rollups():
    """A view at 2024-02-01T03:00Z is January in New York and February in UTC."""
    community = await f.community("America/New_York")
    acme = await linked_company(community, "Acme", "m1")
    await f.views(community, "m1", utc("2024-02-01T03:00"))
    await f.views(community, None, utc("2024-02-01T03:30"))
    before = await months(community, "2024-01-01", "2024-02-01")
    before_31st = await summary(community, "2024-01-31", "2024-01-31")

    await update_community_settings(community, timezone="UTC")
    stored = await get_community(community.id)
    after = await months(stored, "2024-01-01", "2024-02-01")
    after_31st = await summary(stored, "2024-01-31", "2024-01-31")
    after_1st = await summary(stored, "2024-02-01", "2024-02-01")
    february = await views_of(stored, acme, "2024-02-01", "2024-02-29")

    assert before == [("2024-01", 1, 0, 1), ("2024-02", 0, 1, 1)]
    assert (before_31st.page_views, before_31st.anonymous_page_views) == (2, 1)
    assert stored.timezone == "UTC"
    assert after == [("2024-01", 0, 1, 1), ("2024-02", 1, 0, 1)]
    assert after_31st.page_views == 0
    assert (after_1st.page_views, after_1st.anonymous_page_views) == (2, 1)
    assert february == 1


# -- duplicates ---------------------------------------------------------------


async def test_same_message_id_twice_in_one_batch_stores_once():
    """The second copy, even with another instant, is a duplicate."""
    community = await f.community()
    acme = await linked_company(community, "Acme", "m1")
    first = f.page_view("m1", utc("2024-02-10T12:00"), message_id="dup-1")
    again = f.page_view("m1", utc("2024-03-10T12:00"), message_id="dup-1")

    result = await record_page_views(community, [first, again])
    stored = await PageView.filter(community_id=community.id).count()
    february = await views_of(community, acme, "2024-02-01", "2024-02-29")
    march = await summary(community, "2024-03-01", "2024-03-31")

    assert (result.stored, result.duplicates, result.errors) == (1, 1, [])
    assert stored == 1
    assert (february, march.page_views) == (1, 0)


async def test_same_message_id_in_a_later_batch_stores_once():
    """A resent view adds nothing to any rollup."""
    community = await f.community()
    acme = await linked_company(community, "Acme", "m1")
    await record_page_views(community, [f.page_view("m1", message_id="dup-1")])

    result = await record_page_views(
        community, [f.page_view("m1", utc("2024-03-10T12:00"), message_id="dup-1")]
    )
    stored = await PageView.filter(community_id=community.id).count()
    february = await summary(community, "2024-02-01", "2024-02-29")
    march = await views_of(community, acme, "2024-03-01", "2024-03-31")

    assert (result.stored, result.duplicates) == (0, 1)
    assert stored == 1
    assert (february.page_views, february.unique_visitors, march) == (1, 1, 0)


async def test_same_contribution_message_id_in_a_later_batch_stores_once():
    """A resent reply counts once."""
    community = await f.community()
    acme = await linked_company(community, "Acme", "m1")
    await record_contributions(
        community, [f.contribution_input("m1", message_id="reply-1")]
    )

    result = await record_contributions(
        community, [f.contribution_input("m1", message_id="reply-1")]
    )
    stats = await engagement(community, acme, "2024-02-01", "2024-02-29")

    assert (result.stored, result.duplicates) == (0, 1)
    assert stats.contributions["replies"] == 1


async def test_same_message_id_in_two_communities_stores_in_both():
    """Message ids are unique per community only."""
    north = await f.community()
    south = await f.community()

    north_result = await record_page_views(north, [f.page_view(message_id="same")])
    south_result = await record_page_views(south, [f.page_view(message_id="same")])
    north_traffic = await summary(north, "2024-02-01", "2024-02-29")
    south_traffic = await summary(south, "2024-02-01", "2024-02-29")

    assert (north_result.stored, south_result.stored) == (1, 1)
    assert (north_traffic.page_views, south_traffic.page_views) == (1, 1)


# -- the customer list --------------------------------------------------------


async def test_search_ignores_case_and_treats_wildcards_literally():
    """``%`` and ``_`` in a search match themselves, not any text."""
    community = await f.community()
    for name in ("Acme", "ACME Labs", "100% Cotton", "100 Cotton", "Snake_Case"):
        await f.company(community, name)
    await f.company(community, "SnakeXCase")
    feb = ("2024-02-01", "2024-02-29")

    acme = await names(community, *feb, search="aCmE")
    padded = await names(community, *feb, search="  acme  ")
    percent = await names(community, *feb, search="0%")
    underscore = await names(community, *feb, search="e_c")
    everyone = await names(community, *feb, search="")

    assert acme == ["Acme", "ACME Labs"]
    assert padded == ["Acme", "ACME Labs"]
    assert percent == ["100% Cotton"]
    assert underscore == ["Snake_Case"]
    assert everyone == [
        "100 Cotton",
        "100% Cotton",
        "Acme",
        "ACME Labs",
        "Snake_Case",
        "SnakeXCase",
    ]


async def test_search_ignores_case_beyond_ascii():
    """``öko`` finds ``ÖKO Bau`` on both databases."""
    community = await f.community()
    await f.company(community, "ÖKO Bau")
    await f.company(community, "Okay Corp")

    found = await names(community, "2024-02-01", "2024-02-29", search="öko")

    assert found == ["ÖKO Bau"]


async def sorting_community() -> Community:
    """Six customers whose February differs in views, visitors and last view."""
    community = await f.community()
    alpha = await linked_company(community, "Alpha", "a1")
    await f.link(community, "a2", alpha)
    await linked_company(community, "bravo", "b1")
    charlie = await linked_company(community, "Charlie", "c1")
    await f.link(community, "c2", charlie)
    await f.company(community, "Delta")
    await f.company(community, "echo")
    await linked_company(community, "Foxtrot", "x1")
    await f.views(community, "a1", *(utc(f"2024-02-0{d}T12:00") for d in (1, 2, 3)))
    await f.views(community, "a2", utc("2024-02-10T12:00"))
    await f.views(community, "b1", *(utc(f"2024-02-{d}T12:00") for d in range(16, 21)))
    await f.views(community, "c1", utc("2024-02-25T12:00"))
    await f.views(community, "c2", utc("2024-02-05T12:00"))
    await f.views(community, "x1", utc("2024-01-15T12:00"))
    return community


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (
            CustomerOrder.NAME,
            ["Alpha", "bravo", "Charlie", "Delta", "echo", "Foxtrot"],
        ),
        # views: bravo 5, Alpha 4, Charlie 2, the rest 0 (by name)
        (
            CustomerOrder.PAGE_VIEWS,
            ["bravo", "Alpha", "Charlie", "Delta", "echo", "Foxtrot"],
        ),
        # visitors: Alpha 2, Charlie 2, bravo 1, the rest 0
        (
            CustomerOrder.UNIQUE_VISITORS,
            ["Alpha", "Charlie", "bravo", "Delta", "echo", "Foxtrot"],
        ),
        # last seen: 25 Feb, 20 Feb, 10 Feb, 15 Jan, then never (by name)
        (
            CustomerOrder.LAST_SEEN,
            ["Charlie", "bravo", "Alpha", "Foxtrot", "Delta", "echo"],
        ),
    ],
)
async def test_customer_list_sort_orders(order, expected):
    """Numbers sort high first, ties and never-seen companies by name."""
    community = await sorting_community()

    found = await names(community, "2024-02-01", "2024-02-29", order=order)

    assert found == expected


async def test_inactive_list_defaults_to_last_seen_with_never_last():
    """Inactive in February: Foxtrot seen in January, then Delta and echo, never."""
    community = await sorting_community()

    inactive = await names(
        community, "2024-02-01", "2024-02-29", activity=ActivityFilter.INACTIVE
    )
    active = await names(
        community, "2024-02-01", "2024-02-29", activity=ActivityFilter.ACTIVE
    )

    assert inactive == ["Foxtrot", "Delta", "echo"]
    assert active == ["Alpha", "bravo", "Charlie"]


# Each company's one member views on these February days at 12:00 UTC.
PAGING_VIEWS = {
    "Co 1": [],
    "Co 2": [10, 11, 12],
    "Co 3": [13],
    "Co 4": [],
    "Co 5": [14, 15],
    "Co 6": [7, 8, 9, 10, 11],
    "Co 7": [17],
}


async def paging_community() -> Community:
    community = await f.community()
    for name, days in PAGING_VIEWS.items():
        member = "m" + name.split()[1]
        await linked_company(community, name, member)
        if days:
            await f.views(community, member, *(feb(d) for d in days))
    return community


def feb(day_of_month: int, hour: int = 12) -> datetime:
    return utc(f"2024-02-{day_of_month:02d}T{hour:02d}:00")


async def next_page(
    community: Community, order: CustomerOrder, after: str | None
) -> tuple[list[str], str | None, tuple[int, bool, bool]]:
    """Names, the cursor after the last row, and (total, has next, has previous)."""
    page, _ = await list_customers(
        community,
        day("2024-02-01"),
        day("2024-02-29"),
        order=order,
        limit=3,
        after=after,
    )
    cursor = page.cursor(page.rows[-1], order) if page.rows else None
    flags = (page.total_count, page.has_next_page, page.has_previous_page)
    return [row.name for row in page.rows], cursor, flags


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (CustomerOrder.NAME, ["Co 1", "Co 2", "Co 3", "Co 4", "Co 5", "Co 6", "Co 7"]),
        (
            CustomerOrder.PAGE_VIEWS,
            ["Co 6", "Co 2", "Co 5", "Co 3", "Co 7", "Co 1", "Co 4"],
        ),
        (
            CustomerOrder.UNIQUE_VISITORS,
            ["Co 2", "Co 3", "Co 5", "Co 6", "Co 7", "Co 1", "Co 4"],
        ),
        (
            CustomerOrder.LAST_SEEN,
            ["Co 7", "Co 5", "Co 3", "Co 2", "Co 6", "Co 1", "Co 4"],
        ),
    ],
)
async def test_paging_returns_every_row_exactly_once(order, expected):
    """Seven customers in pages of three: 3, 3 and 1 rows."""
    community = await paging_community()

    first, cursor, first_flags = await next_page(community, order, None)
    second, cursor, second_flags = await next_page(community, order, cursor)
    third, _, third_flags = await next_page(community, order, cursor)

    assert [first, second, third] == [expected[:3], expected[3:6], expected[6:]]
    assert [first_flags, second_flags, third_flags] == [
        (7, True, False),
        (7, True, True),
        (7, False, True),
    ]


async def test_page_views_cursor_survives_new_activity():
    """After page one, Co 5 soars and Co 1 gets its first view: no repeat, no gap."""
    community = await paging_community()
    first, cursor, _ = await next_page(community, CustomerOrder.PAGE_VIEWS, None)

    await f.views(community, "m5", *(feb(20) for _ in range(10)))
    await f.views(community, "m1", feb(20))
    second, cursor, _ = await next_page(community, CustomerOrder.PAGE_VIEWS, cursor)
    third, _, third_flags = await next_page(community, CustomerOrder.PAGE_VIEWS, cursor)

    assert first == ["Co 6", "Co 2", "Co 5"]
    assert second == ["Co 1", "Co 3", "Co 7"]  # one view each, by name
    assert (third, third_flags) == (["Co 4"], (7, False, True))


async def test_last_seen_cursor_survives_new_activity():
    """After page one, Co 3 is seen again and never-seen Co 4 views on 12 Feb."""
    community = await paging_community()
    first, cursor, _ = await next_page(community, CustomerOrder.LAST_SEEN, None)

    await f.views(community, "m3", feb(20))
    await f.views(community, "m4", feb(12, hour=18))
    second, cursor, _ = await next_page(community, CustomerOrder.LAST_SEEN, cursor)
    third, _, _ = await next_page(community, CustomerOrder.LAST_SEEN, cursor)

    assert first == ["Co 7", "Co 5", "Co 3"]
    assert second == ["Co 4", "Co 2", "Co 6"]  # 12 Feb 18:00, 12 Feb 12:00, 11 Feb
    assert third == ["Co 1"]


# -- lurkers ------------------------------------------------------------------


async def test_lurker_has_more_views_than_the_threshold_and_no_contribution():
    """Threshold 2: 2 views is no lurker, 3 is, unless it contributed in the range."""
    community = await f.community(lurker_threshold=2)
    two = await linked_company(community, "Two", "m2")
    three = await linked_company(community, "Three", "m3")
    chatty = await linked_company(community, "Chatty", "m4")
    earlier = await linked_company(community, "Earlier", "m5")
    await f.views(community, "m2", feb(1), feb(2))
    for member in ("m3", "m4", "m5"):
        await f.views(community, member, feb(1), feb(2), feb(3))
    await f.contribution(community, "m4", feb(4), ContributionKind.REACTION)
    await f.contribution(
        community, "m5", utc("2024-01-20T12:00"), ContributionKind.TOPIC
    )
    companies = [two.id, three.id, chatty.id, earlier.id]

    february = await customer_engagement(
        community, day("2024-02-01"), day("2024-02-29"), companies
    )
    with_january = await engagement(community, earlier, "2024-01-01", "2024-02-29")

    assert [february[c].lurker for c in companies] == [False, True, False, True]
    assert [february[c].page_views for c in companies] == [2, 3, 3, 3]
    assert (with_january.contributions_total, with_january.lurker) == (1, False)
