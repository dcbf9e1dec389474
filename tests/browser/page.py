"""Reading the dashboard, and what it should show, for the browser tests.

Numbers and dates are written as Intl.NumberFormat and Intl.DateTimeFormat
write them in en-US; the community's dates are cut in its zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from tests.browser import dataset
from tests.browser.conftest import Dashboard

FROM, TO = dataset.DEFAULT_RANGE
ZONE = ZoneInfo(dataset.ZONE)
DASH = "\N{EN DASH}"

SUMMARY = """query ($from: Date!, $to: Date!) {
  engagementSummary(from: $from, to: $to) {
    activeCustomers inactiveCustomers totalCustomers activeRate
    pageViews uniqueVisitors anonymousPageViews } }"""
MONTHS = """query ($from: Month!, $to: Month!) { monthlyActivity(from: $from, to: $to) {
  month activeCustomers inactiveCustomers totalCustomers activeRate } }"""
CUSTOMERS = """query ($from: Date!, $to: Date!, $activity: CustomerActivity!,
  $search: String, $orderBy: CustomerOrder, $after: String) {
  customers(from: $from, to: $to, activity: $activity, search: $search,
            orderBy: $orderBy, first: 25, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name lastSeenAt engagement(from: $from, to: $to) {
      uniqueVisitors pageViews lurker contributions { total } } } } } }"""
CUSTOMER = """query ($id: ID!, $from: Date!, $to: Date!) { customer(id: $id) {
  name memberCount customerPeriods { from to }
  engagement(from: $from, to: $to) { pageViews uniqueVisitors
    contributions { total } }
  members(first: 50) { totalCount edges { node { externalId email } } } } }"""
JOBS = "{ jobs(first: 20) { edges { node { kind status progress } } } }"


def span(first: str, last: str) -> dict[str, str]:
    """The ``from`` and ``to`` arguments of a range."""
    return {"from": first, "to": last}


# What Intl.NumberFormat and Intl.DateTimeFormat write in en-US.


def count(value: int) -> str:
    return f"{value:,}"


def rate(value: float | None) -> str:
    if value is None:
        return "—"
    tenths = (Decimal(value) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{tenths.normalize():f}%"


def day(instant: str | None) -> str:
    if instant is None:
        return "Never"
    local = datetime.fromisoformat(instant).astimezone(ZONE)
    return f"{local:%b} {local.day}, {local.year}"


def month(value: str) -> str:
    return datetime.strptime(value, "%Y-%m").strftime("%b %Y")


# Reading the page.


async def rows(page: Page) -> list[list[str]]:
    """The customers table as text: name, visitors, views, contributions, seen."""
    return await page.locator("#customers tbody tr[data-id]").evaluate_all(
        """trs => trs.map(tr => [tr.querySelector('.row-link').innerText,
             ...[...tr.cells].slice(1).map(td => td.innerText.trim())])"""
    )


def expected_rows(answer: dict[str, Any]) -> list[list[str]]:
    return [
        [
            n["name"],
            count(n["engagement"]["uniqueVisitors"]),
            count(n["engagement"]["pageViews"]),
            count(n["engagement"]["contributions"]["total"]),
            day(n["lastSeenAt"]),
        ]
        for n in nodes(answer)
    ]


def nodes(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in answer["customers"]["edges"]]


async def customers_page(board: Dashboard, **arguments: Any) -> dict[str, Any]:
    arguments = {**span(FROM, TO), "activity": "ALL", **arguments}
    return await board.api(CUSTOMERS, **arguments)


async def shows_rows(board: Dashboard, answer: dict[str, Any]) -> None:
    """Wait for the table to show ``answer``, then compare every cell."""
    names = [n["name"] for n in nodes(answer)]
    await expect(board.page.locator("#customers tbody .row-link")).to_have_text(names)
    assert await rows(board.page) == expected_rows(answer)
    lurkers = await board.page.locator("#customers tbody tr[data-id]").evaluate_all(
        "trs => trs.map(tr => tr.querySelector('.badge-lurker') !== null)"
    )
    assert lurkers == [n["engagement"]["lurker"] for n in nodes(answer)]


async def kpi(page: Page, metric: str, scope: str = "#summary") -> str:
    return await page.locator(f"{scope} [data-metric={metric}] .kpi-value").inner_text()


async def chart_pixels(page: Page) -> dict[str, int]:
    """How many canvas pixels are painted at all, and in the bars' blue."""
    return await page.locator("#chart").evaluate(
        """canvas => {
          const {data} = canvas.getContext('2d')
            .getImageData(0, 0, canvas.width, canvas.height);
          let painted = 0, blue = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] > 0) painted++;
            const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
            if (Math.abs(r - 47) < 10 && Math.abs(g - 111) < 10
                && Math.abs(b - 237) < 10) blue++;
          }
          return {painted, blue, all: data.length / 4};
        }"""
    )


async def summary_matches(board: Dashboard, first: str, last: str) -> None:
    summary = (await board.api(SUMMARY, **span(first, last)))["engagementSummary"]
    await expect(
        board.page.locator("#summary [data-metric=pageViews] .kpi-value")
    ).to_have_text(count(summary["pageViews"]))
    for metric, value in summary.items():
        text = rate(value) if metric == "activeRate" else count(value)
        assert await kpi(board.page, metric) == text, metric


async def months_match(board: Dashboard, first: str, last: str) -> None:
    answer = await board.api(MONTHS, **span(first, last))
    expected = [
        [
            month(m["month"]),
            count(m["activeCustomers"]),
            count(m["inactiveCustomers"]),
            count(m["totalCustomers"]),
            rate(m["activeRate"]),
        ]
        for m in answer["monthlyActivity"]
    ]
    table = board.page.locator("#months tbody tr")
    await expect(table).to_have_count(len(expected))
    shown = await table.evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(c => c.textContent.trim()))"
    )
    assert shown == expected
    label = await board.page.locator("#chart").get_attribute("aria-label")
    assert label is not None
    assert all(f"{row[0]} {row[4]}" in label for row in expected)


async def chart_is_drawn(page: Page) -> None:
    await page.wait_for_function(
        """() => { const c = document.querySelector('#chart');
                   return c.width > 300 && c.height > 150; }"""
    )
    pixels = await chart_pixels(page)
    assert pixels["painted"] > pixels["all"] * 0.05, pixels
    assert pixels["blue"] > pixels["all"] * 0.02, pixels  # the active bars
