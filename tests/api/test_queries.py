"""The dashboard's queries through the schema."""

from __future__ import annotations

import logging

import pytest

from tests import factories as f

FIRST_SCREEN = """
query($from: Date!, $to: Date!, $fromMonth: Month!, $toMonth: Month!) {
  monthlyActivity(from: $fromMonth, to: $toMonth) {
    month activeCustomers inactiveCustomers totalCustomers activeRate
  }
  engagementSummary(from: $from, to: $to) {
    activeCustomers inactiveCustomers totalCustomers activeRate
    pageViews uniqueVisitors anonymousPageViews months { month activeCustomers }
  }
  customers(from: $from, to: $to, orderBy: PAGE_VIEWS, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name lastSeenAt memberCount
      engagement(from: $from, to: $to) {
        active uniqueVisitors pageViews lurker
        contributions { topics replies reactions solutions ideas total }
      }
    } }
  }
}
"""
RANGE = {
    "from": "2024-01-01",
    "to": "2024-03-31",
    "fromMonth": "2024-01",
    "toMonth": "2024-03",
}


@pytest.fixture
async def data(community):
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta", [(None, f.utc("2024-02-10T05:00"))])
    await f.link(community, "a1", acme)
    await f.link(community, "b1", beta)
    await f.views(community, "a1", f.utc("2024-01-15T15:00"), f.utc("2024-03-02T15:00"))
    await f.views(community, "b1", f.utc("2024-02-05T15:00"))
    await f.contribution(community, "b1", f.utc("2024-02-06T15:00"))
    await f.views(community, None, f.utc("2024-02-10T12:00"))
    return {"acme": acme, "beta": beta}


async def test_first_screen(viewer, data):
    result = await viewer.ok(FIRST_SCREEN, **RANGE)

    assert result["monthlyActivity"] == [
        {
            "month": "2024-01",
            "activeCustomers": 1,
            "inactiveCustomers": 1,
            "totalCustomers": 2,
            "activeRate": 0.5,
        },
        {
            "month": "2024-02",
            "activeCustomers": 1,
            "inactiveCustomers": 1,
            "totalCustomers": 2,
            "activeRate": 0.5,
        },
        {
            "month": "2024-03",
            "activeCustomers": 1,
            "inactiveCustomers": 0,
            "totalCustomers": 1,
            "activeRate": 1.0,
        },
    ]
    summary = result["engagementSummary"]
    assert (summary["activeCustomers"], summary["totalCustomers"]) == (2, 2)
    assert (summary["pageViews"], summary["anonymousPageViews"]) == (4, 1)
    assert summary["uniqueVisitors"] == 2
    nodes = [edge["node"] for edge in result["customers"]["edges"]]
    assert [n["name"] for n in nodes] == ["Acme", "Beta"]
    assert nodes[0]["engagement"]["pageViews"] == 2 and nodes[0]["engagement"]["lurker"]
    assert nodes[1]["engagement"]["contributions"]["replies"] == 1
    assert nodes[0]["lastSeenAt"] == "2024-03-02T15:00:00+00:00"
    assert nodes[1]["memberCount"] == 1


async def _add_customers(community, start: int, stop: int) -> None:
    for index in range(start, stop):
        company = await f.company(community, f"Company {index:02d}")
        await f.link(community, f"m{index}", company)
        await f.views(community, f"m{index}", f.utc("2024-02-05T15:00"))


async def _statements(caller, caplog) -> int:
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        caplog.clear()
        await caller.ok(FIRST_SCREEN, **RANGE)
        return len(caplog.records)


async def test_a_page_of_customers_costs_a_constant_number_of_statements(
    viewer, community, caplog
):
    await _add_customers(community, 0, 3)
    few = await _statements(viewer, caplog)

    await _add_customers(community, 3, 60)
    many = await _statements(viewer, caplog)

    assert many == few
    # Four of them read the community's data version before an answer is
    # computed (domain/answers.py).
    assert many <= 20


async def test_customer_by_id_of_another_community_is_null(viewer, db):
    other = await f.community()
    theirs = await f.company(other, "Theirs")

    result = await viewer.ok(
        "query($id: ID!) { customer(id: $id) { name } }", id=str(theirs.id)
    )

    assert result == {"customer": None}


async def test_malformed_month_names_the_argument(viewer):
    result = await viewer.execute(
        '{ monthlyActivity(from: "2024-13", to: "2024-01") { month } }'
    )

    assert result.errors is not None
    assert "2024-13" in result.errors[0].message


async def test_first_over_the_limit_is_refused(viewer):
    result = await viewer.execute(
        '{ customers(from: "2024-01-01", to: "2024-01-31", first: 100000) { totalCount } }'
    )

    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "first" in result.errors[0].message
