"""Malformed scalars and far-away dates: the client's error, named, never masked."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from api.context import RequestContext
from api.schema import build_schema
from tests import factories as f

production = build_schema(production=True)

MONTHS = (
    "query($from: Month!, $to: Month!) {"
    " monthlyActivity(from: $from, to: $to) { month } }"
)
SUMMARY = (
    "query($from: Date!, $to: Date!) {"
    " engagementSummary(from: $from, to: $to) { pageViews } }"
)


async def _run(caller, query: str, caplog, **variables: Any):
    """The production schema's answer, and the log records of ERROR or worse."""
    context = RequestContext(caller.community, caller.context.api_key)
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        result = await production.execute(
            query, variable_values=variables, context_value=context
        )
    return result, [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '{ monthlyActivity(from: "2025-13", to: "2025-12") { month } }',
            "from: '2025-13' is not a month; expected YYYY-MM",
        ),
        (
            '{ monthlyActivity(from: "2025-01", to: 202512) { month } }',
            "to: a Month is a string like 2024-01",
        ),
        (
            '{ engagementSummary(from: "2025-02-30", to: "2025-03-01") { pageViews } }',
            'from: Value cannot represent a Date: "2025-02-30".'
            " day is out of range for month",
        ),
    ],
    ids=["month", "month not a string", "date"],
)
async def test_a_malformed_literal_names_its_argument(viewer, caplog, query, message):
    result, logged = await _run(viewer, query, caplog)

    assert result.data is None
    assert [e.message for e in result.errors] == [message]
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert logged == []


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            MONTHS,
            {"from": "2025-13", "to": "2025-12"},
            "Variable '$from' has invalid value:"
            " '2025-13' is not a month; expected YYYY-MM",
        ),
        (
            SUMMARY,
            {"from": "2025-01-01", "to": "tomorrow"},
            "Variable '$to' has invalid value:"
            ' Value cannot represent a Date: "tomorrow".'
            " Invalid isoformat string: 'tomorrow'",
        ),
    ],
    ids=["month", "date"],
)
async def test_a_malformed_variable_names_the_variable(
    viewer, caplog, query, variables, message
):
    result, logged = await _run(viewer, query, caplog, **variables)

    assert result.data is None
    assert [e.message for e in result.errors] == [message]
    assert logged == []


async def test_a_malformed_date_time_in_an_input_names_its_path(integration, caplog):
    query = (
        'mutation { recordPageViews(input: {pageViews: [{messageId: "v1",'
        ' occurredAt: "noon", path: "/a", anonymousId: "x"}]}) { stored } }'
    )

    result, logged = await _run(integration, query, caplog)

    [error] = result.errors
    assert error.message.startswith(
        'input.pageViews[0].occurredAt: Value cannot represent a DateTime: "noon".'
    )
    assert error.extensions["field"] == "input.pageViews[0].occurredAt"
    assert logged == []


@pytest.fixture
async def acme(community):
    return await f.company(community, "Acme")


FAR = [
    (MONTHS, {"from": "9999-01", "to": "9999-12"}, "from: 9999-01-01"),
    (SUMMARY, {"from": "9999-01-01", "to": "9999-12-31"}, "from: 9999-01-01"),
    (SUMMARY, {"from": "1969-12-31", "to": "1970-01-31"}, "from: 1969-12-31"),
    (SUMMARY, {"from": "2999-12-01", "to": "3000-01-01"}, "to: 3000-01-01"),
    (
        "query($from: Date!, $to: Date!) {"
        " customers(from: $from, to: $to) { totalCount } }",
        {"from": "9999-01-01", "to": "9999-12-31"},
        "from: 9999-01-01",
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "named"),
    FAR,
    ids=["months", "summary", "before 1970", "after 2999", "customers"],
)
async def test_a_range_outside_the_years_of_reports_is_refused(
    viewer, caplog, query, variables, named
):
    result, logged = await _run(viewer, query, caplog, **variables)

    assert result.data is None
    assert [e.message for e in result.errors] == [
        f"{named} is not in the years 1970 to 2999"
    ]
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert logged == []


async def test_a_far_away_engagement_of_a_customer_is_refused(viewer, acme, caplog):
    query = (
        "query($id: ID!) { customer(id: $id) { name"
        ' engagement(from: "9999-01-01", to: "9999-12-31") { pageViews } } }'
    )

    result, logged = await _run(viewer, query, caplog, id=str(acme.id))

    assert [e.message for e in result.errors] == [
        "from: 9999-01-01 is not in the years 1970 to 2999"
    ]
    assert result.errors[0].path == ["customer", "engagement"]
    assert logged == []


async def test_the_first_and_last_years_of_reports_are_answered(viewer, acme):
    data = await viewer.ok(
        '{ first: monthlyActivity(from: "1970-01", to: "1970-02") { totalCustomers }'
        ' last: monthlyActivity(from: "2999-11", to: "2999-12") { totalCustomers }'
        ' engagementSummary(from: "2999-01-01", to: "2999-12-31") { totalCustomers }'
        ' customers(from: "1970-01-01", to: "1970-12-31") { totalCount } }'
    )

    assert data == {
        "first": [{"totalCustomers": 1}, {"totalCustomers": 1}],
        "last": [{"totalCustomers": 1}, {"totalCustomers": 1}],
        "engagementSummary": {"totalCustomers": 1},
        "customers": {"totalCount": 1},
    }
