"""Salesforce failing in each way it can, and the sync keeping its data straight."""

from __future__ import annotations

import pytest

from demo.salesforce_fake import error_body, sf_time
from domain.models import Company, CustomerPeriod, SalesforceSyncState
from domain.salesforce.check import check_connection
from domain.salesforce.errors import (
    ConfigurationError,
    PermissionProblem,
    ProtocolError,
    RateLimited,
    SessionExpired,
)
from tests.salesforce.conftest import connect, sync


def add_accounts(org, count: int, type: str = "Customer") -> list[str]:
    return [org.add_account(f"Account {n:03d}", type) for n in range(count)]


async def company_count(community) -> int:
    return await Company.filter(community_id=community.id).count()


async def watermark(community):
    state = await SalesforceSyncState.get(community_id=community.id)
    return state.accounts_modstamp


async def test_short_pages_and_many_pages_are_all_read(connected, org):
    add_accounts(org, 60)
    org.max_page, org.short_every = 7, 2

    report = await sync(connected)

    assert await company_count(connected) == 60
    assert report.pages > 10
    assert len([q for q in org.queries() if "FROM Account" in q]) == 1
    assert report.reconcile is None


async def test_a_page_not_done_without_a_next_path_fails_and_keeps_the_watermark(
    connected, org
):
    ids = add_accounts(org, 30)
    org.max_page = 10

    def broken(body):
        body["done"] = False
        body.pop("nextRecordsUrl", None)

    org.add_fault("query_more", mutate=broken)

    with pytest.raises(ProtocolError):
        await sync(connected)

    assert await company_count(connected) == 10
    assert sf_time(await watermark(connected)) == sf_time(
        org.accounts[ids[9]]["SystemModstamp"]
    )
    await sync(connected)
    assert await company_count(connected) == 30


async def test_an_expired_query_locator_restarts_the_window_from_the_watermark(
    connected, org
):
    ids = add_accounts(org, 30)
    org.max_page = 10
    org.add_fault(
        "query_more", body=error_body("INVALID_QUERY_LOCATOR", "invalid query locator")
    )

    report = await sync(connected)

    assert await company_count(connected) == 30
    assert report.restarts == 1
    restart = [q for q in org.queries() if "FROM Account" in q][1]
    assert f"Id > '{ids[9]}'" in restart


async def test_a_session_expiring_mid_run_logs_in_again_once_and_resumes(
    connected, org
):
    add_accounts(org, 30)
    org.max_page = 10
    org.add_fault(
        "query_more",
        status=401,
        body=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
    )

    report = await sync(connected)

    assert await company_count(connected) == 30
    assert report.reauthentications == 1


async def test_a_session_that_keeps_expiring_stops_after_one_new_login(connected, org):
    add_accounts(org, 30)
    org.max_page = 10
    org.add_fault(
        "query_more",
        status=401,
        times=100,
        body=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
    )

    with pytest.raises(SessionExpired, match="again after logging in anew"):
        await sync(connected)

    # The page read on the new session is kept; the next expiry ends the run.
    assert await company_count(connected) == 20


async def test_the_request_limit_keeps_what_was_committed_and_stops(connected, org):
    add_accounts(org, 30)
    org.max_page = 10
    org.add_fault(
        "query_more",
        status=403,
        skip=1,
        body=error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    )

    with pytest.raises(RateLimited):
        await sync(connected)

    assert await company_count(connected) == 20
    await sync(connected)
    assert await company_count(connected) == 30


async def test_a_permission_403_is_a_clear_error_not_a_rate_limit(connected, org):
    add_accounts(org, 3)
    org.add_fault(
        "query",
        status=403,
        body=error_body("INSUFFICIENT_ACCESS", "insufficient access rights on object"),
    )

    with pytest.raises(PermissionProblem, match="may not"):
        await sync(connected)


async def test_a_503_once_is_retried(connected, org):
    add_accounts(org, 3)
    org.add_fault("query", status=503, body=error_body("SERVER_UNAVAILABLE", "down"))

    report = await sync(connected)

    assert await company_count(connected) == 3
    assert report.retries == 1


async def test_an_html_414_is_a_configuration_error(connected, org):
    add_accounts(org, 3)
    org.max_url = 1500
    await connect(connected, org, extra_filter=" AND ".join(["Name != 'x'"] * 200))

    with pytest.raises(ConfigurationError, match="too long"):
        await sync(connected)

    assert await company_count(connected) == 0


async def test_a_query_timeout_on_a_wide_window_splits_it(connected, org):
    add_accounts(org, 40)
    org.timeout_over = 10

    report = await sync(connected)

    assert await company_count(connected) == 40
    assert report.splits > 0


async def test_a_status_field_hidden_by_field_security_is_a_configuration_error(
    connected, org
):
    add_accounts(org, 5)
    org.hidden_fields = {"Account.Type"}

    with pytest.raises(ConfigurationError, match="field-level security"):
        await sync(connected)
    check = await check_connection(connected.id)

    assert await CustomerPeriod.filter(community_id=connected.id).count() == 0
    assert await company_count(connected) == 0
    assert not check.ok
    assert [f.visible for f in check.fields if f.role == "status"] == [False]
