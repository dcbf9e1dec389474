"""The cost limit: how many list items a query may return, refused before it runs."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from graphql import parse

from api.context import RequestContext
from api.schema import build_schema, schema
from api.validation import MAX_COST, CostEstimate
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]

ABUSIVE = (
    "{ "
    + " ".join(
        f'a{i}: customers(from: "2025-01-01", to: "2025-12-31", first: 200) {{'
        " edges { node { name members(first: 200) { edges { node { email } } }"
        ' engagement(from: "2025-01-01", to: "2025-12-31") { pageViews } } } }'
        for i in range(29)
    )
    + " }"
)


def _cost(query: str, **variables: object) -> int:
    return CostEstimate(schema._schema, parse(query), variables).total()


def _readme_first_screen() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```graphql\n(query FirstScreen .*?)```", readme, re.S)
    assert found, "README.md shows the dashboard's first screen"
    return found.group(1)


def _dashboard_queries() -> dict[str, str]:
    """The queries the dashboard in web/ sends, by their constant's name."""
    source = (ROOT / "web" / "src" / "api.ts").read_text(encoding="utf-8")
    return dict(re.findall(r"export const (\w+) = `(.*?)`;", source, re.S))


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ community { name } }", 0),
        ('{ monthlyActivity(from: "2025-01", to: "2025-12") { month } }', 10),
        (
            '{ customers(from: "2025-01-01", to: "2025-12-31", first: 20) {'
            " totalCount edges { node { members(first: 30) {"
            " edges { node { externalId } } } } } } }",
            20 + 20 * 30,
        ),
        (
            '{ customers(from: "2025-01-01", to: "2025-12-31") {'
            " edges { node { domains customerPeriods { from } } } } }",
            50 + 50 * (10 + 10),
        ),
        (
            "{ a: jobs { edges { cursor } } b: jobs(first: 5) { edges { cursor } } }",
            20 + 5,
        ),
        (
            "fragment M on Customer { members(first: 3) { edges { cursor } } }"
            ' { customers(from: "2025-01-01", to: "2025-12-31", first: 10) {'
            " edges { node { ...M ... on Customer { ...M } } } } }",
            10 + 10 * (3 + 3),
        ),
    ],
    ids=["no list", "unpaged list", "nested pages", "defaults", "aliases", "fragments"],
)
def test_the_estimate_multiplies_nested_pages_and_adds_the_rest(query, cost):
    assert _cost(query) == cost


async def test_the_readme_example_of_a_refused_query_is_refused(viewer):
    query = (
        '{ customers(from: "2025-01-01", to: "2025-12-31", first: 200) {'
        " edges { node { members(first: 50) { edges { node { externalId } } } } } } }"
    )

    result = await viewer.execute(query)

    assert result.data is None
    assert [e.extensions["cost"] for e in result.errors] == [200 + 200 * 50]


def test_variables_and_their_defaults_size_the_pages():
    query = (
        "query($n: Int!, $m: Int = 4) {"
        ' customers(from: "2025-01-01", to: "2025-12-31", first: $n) {'
        " edges { node { members(first: $m) { edges { cursor } } } } } }"
    )

    assert _cost(query, n=7) == 7 + 7 * 4
    assert _cost(query, n=7, m=9) == 7 + 7 * 9


def test_the_dashboards_queries_cost_little():
    queries = _dashboard_queries()

    costs = {
        "first screen": _cost(_readme_first_screen()),
        "customers": _cost(queries["CUSTOMERS"], first=200),
        "customer": _cost(queries["CUSTOMER"]),
        "summary": _cost(queries["SUMMARY"]),
        "jobs": _cost(queries["JOBS"]),
    }

    assert costs == {
        "first screen": 10 + 50,
        "customers": 200,
        "customer": 10 + 10 + 50,
        "summary": 10,
        "jobs": 20,
    }
    assert max(costs.values()) * 10 < MAX_COST


async def test_the_readme_first_screen_runs(viewer, community):
    await f.company(community, "Acme")

    data = await viewer.ok(_readme_first_screen())

    assert data["customers"]["totalCount"] == 1


async def test_the_abusive_query_is_refused_before_any_statement(viewer, caplog):
    context = RequestContext(viewer.community, viewer.context.api_key)

    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        caplog.clear()
        result = await build_schema(production=True).execute(
            ABUSIVE, context_value=context
        )
        statements = [r for r in caplog.records if r.name == "tortoise.db_client"]

    assert result.data is None
    [error] = result.errors
    assert error.extensions == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 29 * (200 + 200 * 200),
        "limit": MAX_COST,
    }
    assert error.message.startswith("this query may return 1,165,800 list items")
    assert statements == []


def test_nested_fragments_are_estimated_without_expanding_them():
    fragments = ["fragment F0 on Customer { domains }"]
    fragments += [
        f"fragment F{k} on Customer {{ ...F{k - 1} ... on Customer {{ ...F{k - 1} }} }}"
        for k in range(1, 60)
    ]
    query = " ".join(fragments) + (
        ' { customers(from: "2025-01-01", to: "2025-12-31", first: 1)'
        " { edges { node { ...F59 } } } }"
    )

    started = time.monotonic()
    cost = _cost(query)

    assert cost == 1 + 2**59 * 10
    assert time.monotonic() - started < 1
