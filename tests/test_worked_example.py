"""SPEC's worked example, every number asserted (America/New_York)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.customers import ActivityFilter, list_customers
from domain.metrics import (
    customer_engagement,
    engagement_summary,
    last_seen,
    monthly_activity,
)
from tests import factories as f

NY_START = "T05:00"  # midnight in New York in winter, as UTC


@pytest.fixture
async def example(db):
    community = await f.community("America/New_York")
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta", [(None, f.utc("2024-02-10" + NY_START))])
    hotel = await f.company(
        community,
        "Hotel",
        [
            (None, f.utc("2024-01-10" + NY_START)),
            (f.utc("2024-03-05" + NY_START), None),
        ],
    )
    foxtrot = await f.company(community, "Foxtrot")

    await f.link(community, "a1", acme)
    await f.link(community, "b1", beta)
    await f.link(community, "h1", hotel)
    await f.link(community, "f1", foxtrot)
    await f.views(community, "a1", f.utc("2024-02-01T03:00"))  # 31 January in New York
    await f.views(community, "b1", f.utc("2024-02-05T15:00"), f.utc("2024-03-15T15:00"))
    await f.contribution(community, "b1", f.utc("2024-02-06T15:00"))
    await f.views(community, "h1", f.utc("2024-02-20T15:00"))
    await f.views(community, "f1", f.utc("2024-02-15T15:00"), f.utc("2024-03-02T15:00"))
    await f.views(community, None, f.utc("2024-02-10T12:00"))
    companies = {"acme": acme, "beta": beta, "hotel": hotel, "foxtrot": foxtrot}
    return community, companies


def _triples(months):
    return [(m.month, m.active, m.inactive, m.total) for m in months]


async def test_months_before_the_relink(example):
    community, _ = example

    months = await monthly_activity(community, date(2024, 1, 1), date(2024, 3, 1))

    assert _triples(months) == [
        (date(2024, 1, 1), 1, 3, 4),  # Acme, by its view of 31 January
        (date(2024, 2, 1), 2, 1, 3),  # Beta and Foxtrot; Hotel is no customer
        (date(2024, 3, 1), 1, 2, 3),  # Foxtrot; Beta churned in February
    ]


async def test_months_after_the_relink(example):
    community, c = example

    await f.link(community, "f1", c["acme"])
    months = await monthly_activity(community, date(2024, 1, 1), date(2024, 3, 1))

    assert _triples(months) == [
        (date(2024, 1, 1), 1, 3, 4),
        (date(2024, 2, 1), 2, 1, 3),  # Acme now, by Foxtrot's former member
        (date(2024, 3, 1), 1, 2, 3),
    ]
    assert [m.rate for m in months] == [0.25, 2 / 3, 1 / 3]


async def test_range_summary(example):
    community, c = example
    await f.link(community, "f1", c["acme"])

    summary = await engagement_summary(community, date(2024, 1, 1), date(2024, 3, 31))

    # Hotel is a customer in the range and viewed inside it, on 20 February.
    assert (summary.active, summary.inactive, summary.total) == (3, 1, 4)
    assert summary.rate == 0.75
    assert summary.page_views == 7
    assert summary.anonymous_page_views == 1
    assert summary.unique_visitors == 4
    assert len(summary.months) == 3


async def test_per_customer_engagement_in_february(example):
    community, c = example
    await f.link(community, "f1", c["acme"])
    ids = [company.id for company in c.values()]

    engagement = await customer_engagement(
        community, date(2024, 2, 1), date(2024, 2, 29), ids
    )

    acme, beta, hotel, foxtrot = (engagement[company.id] for company in c.values())
    assert (acme.page_views, acme.unique_visitors, acme.lurker) == (1, 1, True)
    assert (beta.page_views, beta.unique_visitors, beta.lurker) == (1, 1, False)
    assert beta.contributions["replies"] == 1 and beta.contributions_total == 1
    assert (hotel.page_views, hotel.unique_visitors) == (1, 1)
    assert (foxtrot.page_views, foxtrot.unique_visitors, foxtrot.active) == (
        0,
        0,
        False,
    )


async def test_last_seen_and_the_inactive_list(example):
    community, c = example
    await f.link(community, "f1", c["acme"])

    seen = await last_seen(community, [company.id for company in c.values()])
    page, _ = await list_customers(
        community, date(2024, 3, 1), date(2024, 3, 31), ActivityFilter.INACTIVE
    )

    assert seen[c["acme"].id] == f.utc("2024-03-02T15:00")
    assert seen[c["beta"].id] == f.utc("2024-03-15T15:00")
    assert seen[c["hotel"].id] == f.utc("2024-02-20T15:00")
    assert seen[c["foxtrot"].id] is None
    assert [row.name for row in page.rows] == ["Hotel", "Foxtrot"]
    assert page.total_count == 2
