"""The dashboard on the demo's data: what `engagement demo` loads, a browser shows.

The demo's own viewer key signs in; the browser's clock is the demo's day, so
the page's default range is the demo's twelve months.
"""

from __future__ import annotations

from playwright.async_api import expect

from demo.generator import build_world
from tests.browser.conftest import Dashboard
from tests.browser.page import (
    chart_is_drawn,
    count,
    customers_page,
    kpi,
    months_match,
    nodes,
    rate,
    rows,
    shows_rows,
    span,
    summary_matches,
)
from tests.conftest import DemoRun
from tests.demo_reference import printed_answer


async def test_the_demo_data_on_the_dashboard(
    demo_dashboard: Dashboard, demo_run: DemoRun
):
    board, page = demo_dashboard, demo_dashboard.page
    world = build_world("small", today=demo_run.as_of)
    first, last = world.start.isoformat(), world.last_day.isoformat()

    await board.sign_in()

    assert await page.locator("#from").input_value() == first
    assert await page.locator("#to").input_value() == last
    await summary_matches(board, first, last)
    await months_match(board, first[:7], last[:7])
    await chart_is_drawn(page)
    printed = printed_answer(demo_run.stdout)["engagementSummary"]
    assert await kpi(page, "pageViews") == count(printed["pageViews"])
    assert await kpi(page, "activeRate") == rate(printed["activeRate"])
    await shows_rows(board, await customers_page(board, **span(first, last)))
    await board.shot("demo-overview")

    await page.get_by_role("tab", name="Inactive").click()
    inactive = await customers_page(board, **span(first, last), activity="INACTIVE")
    await shows_rows(board, inactive)
    shown = [row[4] for row in await rows(page)]
    assert [text == "Never" for text in shown] == [
        node["lastSeenAt"] is None for node in nodes(inactive)
    ]
    await expect(page.locator("#customers th[aria-sort]")).to_contain_text("Last seen")
    await board.shot("demo-inactive")
    board.assert_clean()
