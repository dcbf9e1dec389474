"""The dashboard at / shows what the public API answers, in a real browser.

Every number on the page is checked against the same query sent to /graphql
directly. The browser runs in Tokyo time and en-US; the community is in Chicago.
"""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from domain.apikeys import revoke_api_key
from domain.models import ApiKey
from tests.browser import dataset
from tests.browser.conftest import Dashboard
from tests.browser.page import (
    CUSTOMER,
    DASH,
    FROM,
    JOBS,
    TO,
    chart_is_drawn,
    count,
    customers_page,
    kpi,
    months_match,
    nodes,
    rate,
    rows,
    shows_rows,
    summary_matches,
)


async def test_sign_in_keeps_the_key_in_the_tab_and_out_of_the_url(dashboard):
    page = dashboard.page
    await page.goto(dashboard.base + "/")
    await page.get_by_label("Viewer API key").fill("ce_not-a-key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#sign-in-error")).to_contain_text("not accepted")
    await dashboard.shot("sign-in-refused")
    dashboard.problems.clear()  # the refused key's 401, logged by the browser

    await dashboard.sign_in()
    assert dashboard.secret not in page.url
    stored = await page.evaluate("() => [{...sessionStorage}, localStorage.length]")
    assert stored == [{"engagement.viewerKey": dashboard.secret}, 0]
    await page.reload()
    await expect(page.locator("#community-zone")).to_have_text(dataset.ZONE)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("Viewer API key")).to_be_visible()
    assert await page.evaluate("() => sessionStorage.length") == 0
    dashboard.assert_clean()


async def test_a_revoked_key_goes_back_to_sign_in_with_a_message(dashboard):
    await dashboard.sign_in()
    key = await _viewer_key_id(dashboard)
    await revoke_api_key(dashboard.community.id, key)

    await dashboard.page.get_by_role("button", name="Apply").click()

    await expect(dashboard.page.locator("#sign-in-error")).to_contain_text(
        "Sign in again"
    )
    assert await dashboard.page.evaluate("() => sessionStorage.length") == 0


async def _viewer_key_id(board: Dashboard) -> int:
    keys = await ApiKey.filter(community_id=board.community.id)
    assert len(keys) == 1
    return keys[0].id


async def test_the_page_is_served_with_a_strict_policy(dashboard):
    async with httpx.AsyncClient(base_url=dashboard.base) as client:
        page = await client.get("/")
        script = await client.get("/app.js")
        health = await client.get("/healthz")
    assert page.status_code == script.status_code == health.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert len(script.content) == int(script.headers["content-length"]) > 10_000
    assert '<script type="module" src="app.js">' in page.text
    assert "http" not in page.text.split("<body>")[0]  # nothing from a CDN


async def test_overview_shows_the_apis_numbers_in_the_communitys_zone(dashboard):
    page = dashboard.page
    await dashboard.sign_in()

    assert await page.locator("#from").input_value() == FROM
    assert await page.locator("#to").input_value() == TO
    await expect(page.locator("#community-zone")).to_have_text(dataset.ZONE)
    await summary_matches(dashboard, FROM, TO)
    await months_match(dashboard, FROM[:7], TO[:7])
    await chart_is_drawn(page)
    await _running_sync_is_shown(dashboard)
    await dashboard.shot("overview")
    dashboard.publish(await dashboard.shot("dashboard", full_page=False))

    await page.locator("#from").fill("2024-06-01")
    await page.locator("#to").fill("2024-08-31")
    await page.get_by_role("button", name="Apply").click()
    await summary_matches(dashboard, "2024-06-01", "2024-08-31")
    await months_match(dashboard, "2024-06", "2024-08")
    dashboard.assert_clean()


async def _running_sync_is_shown(board: Dashboard) -> None:
    jobs = [e["node"] for e in (await board.api(JOBS))["jobs"]["edges"]]
    assert jobs == [{"kind": "salesforce_sync", "status": "RUNNING", "progress": 0.4}]
    job = board.page.locator("#jobs .job")
    await expect(job).to_have_count(1)
    await expect(job).to_contain_text("Salesforce sync")
    await expect(job).to_contain_text("Running")
    await expect(job).to_contain_text(rate(0.4))


async def test_customers_sort_search_and_page_as_the_api_does(dashboard):
    page = dashboard.page
    await dashboard.sign_in()

    first = await customers_page(dashboard)
    assert first["customers"]["totalCount"] == 30  # two are no customers in range
    assert first["customers"]["pageInfo"]["hasNextPage"]
    await shows_rows(dashboard, first)
    status = page.locator("#page-status")
    await expect(status).to_have_text(f"1{DASH}25 of 30 customers")

    after = first["customers"]["pageInfo"]["endCursor"]
    await page.get_by_role("button", name="Next page").click()
    await shows_rows(dashboard, await customers_page(dashboard, after=after))
    await expect(status).to_have_text(f"26{DASH}30 of 30 customers")
    await expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    await dashboard.shot("customers-page-2")
    await page.get_by_role("button", name="Previous page").click()
    await shows_rows(dashboard, first)

    for order, header in [
        ("PAGE_VIEWS", "Page views"),
        ("UNIQUE_VISITORS", "Unique visitors"),
        ("LAST_SEEN", "Last seen"),
        ("NAME", "Name"),
    ]:
        headers = page.locator("#customers thead")
        await headers.get_by_role("button", name=header).click()
        await shows_rows(dashboard, await customers_page(dashboard, orderBy=order))
        sorted_header = page.locator("#customers th[aria-sort]")
        await expect(sorted_header).to_contain_text(header)

    await page.get_by_label("Search customers by name").fill("an")
    await shows_rows(dashboard, await customers_page(dashboard, search="an"))
    await dashboard.shot("customers-search")
    dashboard.assert_clean()


async def test_the_inactive_tab_shows_never_for_customers_never_seen(dashboard):
    page = dashboard.page
    await dashboard.sign_in()

    await page.get_by_role("tab", name="All").focus()
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name="Inactive")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(page.get_by_role("tab", name="Inactive")).to_be_focused()

    answer = await customers_page(dashboard, activity="INACTIVE")
    await shows_rows(dashboard, answer)
    seen = [n["lastSeenAt"] for n in nodes(answer)]
    shown = [row[4] for row in await rows(page)]
    assert [text == "Never" for text in shown] == [s is None for s in seen]
    assert "Never" in shown and any(s is not None for s in seen)
    await expect(page.locator("#customers th[aria-sort]")).to_contain_text("Last seen")
    await dashboard.shot("inactive")
    dashboard.assert_clean()


async def test_a_customers_detail_lists_its_members(dashboard):
    page = dashboard.page
    await dashboard.sign_in()
    answer = await customers_page(dashboard)
    acme = next(n for n in nodes(answer) if n["name"] == "Acme Analytics")

    await page.get_by_role("link", name="Acme Analytics").click()
    await expect(page.locator("#detail-title")).to_contain_text("Acme Analytics")
    assert page.url.endswith(f"#/customers/{acme['id']}")

    detail = (await dashboard.api(CUSTOMER, id=acme["id"], **{"from": FROM, "to": TO}))[
        "customer"
    ]
    members = [e["node"] for e in detail["members"]["edges"]]
    assert len(members) == detail["memberCount"] == 3
    shown = await page.locator("#members tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].slice(0, 2).map(c => c.innerText))"
    )
    assert shown == [[m["externalId"], m["email"]] for m in members]
    await expect(page.locator("#members-title")).to_have_text("Members (3)")
    engagement = detail["engagement"]
    assert await kpi(page, "pageViews", "#detail") == count(engagement["pageViews"])
    assert await kpi(page, "uniqueVisitors", "#detail") == count(
        engagement["uniqueVisitors"]
    )
    assert await kpi(page, "memberCount", "#detail") == "3"
    await expect(page.locator("#detail .periods li")).to_have_count(
        len(detail["customerPeriods"])
    )
    await dashboard.shot("detail")

    await page.get_by_role("link", name="← All customers").click()
    await expect(page.locator("#overview")).to_be_visible()
    await expect(page.get_by_role("link", name="Acme Analytics")).to_be_focused()
    dashboard.assert_clean()


async def test_a_customer_that_came_back_shows_both_periods(dashboard):
    page = dashboard.page
    await dashboard.sign_in()
    await page.get_by_role("link", name="Harbor Bank").click()
    periods = page.locator("#detail .periods li")
    await expect(periods).to_have_text(
        ["Until Jan 10, 2024 (since before any record)", "Since Mar 5, 2024"]
    )
    dashboard.assert_clean()


async def test_a_narrow_window_has_no_sideways_scrolling(dashboard):
    page = dashboard.page
    await page.set_viewport_size({"width": 390, "height": 844})
    await dashboard.sign_in()
    await chart_is_drawn(page)
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0
    await dashboard.shot("narrow")
    dashboard.assert_clean()


async def test_a_refused_range_is_explained_and_the_numbers_stay(dashboard):
    page = dashboard.page
    await dashboard.sign_in()
    caption = await page.locator("#range-caption").inner_text()

    await page.locator("#from").fill("2024-05-01")
    await page.locator("#to").fill("2024-04-30")
    await page.get_by_role("button", name="Apply").click()
    assert await page.locator("#to").evaluate("input => input.validity.valid") is False

    await page.locator("#from").fill("2015-01-01")
    await page.locator("#to").fill(TO)
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#error")).to_contain_text("at most 5 years")
    await expect(page.locator("#summary")).to_have_attribute("aria-busy", "false")
    assert await page.locator("#range-caption").inner_text() == caption
    await dashboard.shot("refused-range")

    await page.get_by_role("button", name="Dismiss").click()
    await expect(page.locator("#error")).to_be_hidden()
    dashboard.assert_clean()
