"""Bad input: a DomainError naming the field and why, and nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.activity import record_contributions, record_page_views
from domain.attribution import attribution_batch
from domain.communities import (
    create_community,
    get_community,
    update_community_settings,
)
from domain.companies import get_company, save_company, set_customer_periods
from domain.customers import CustomerOrder, encode_cursor, list_customers
from domain.db import fetch
from domain.errors import DomainError, ErrorCode, NotFound
from domain.members import get_member, link_member, link_members
from domain.metrics import customer_engagement, engagement_summary, monthly_activity
from domain.models import (
    Community,
    Company,
    Contribution,
    CrmSource,
    CustomerPeriod,
    Member,
    PageView,
)
from domain.periods import parse_month
from domain.salesforce_ids import canonical_id
from tests import factories as f
from tests.factories import day, utc

# -- settings -----------------------------------------------------------------


async def test_create_community_refuses_an_unknown_time_zone(db):
    """``Mars/Base`` is no IANA zone; no community is created."""
    with pytest.raises(DomainError) as caught:
        await create_community("Martians", "Mars/Base")

    stored = await Community.all().count()

    assert caught.value.field == "timezone"
    assert "Mars/Base" in caught.value.message
    assert stored == 0


async def test_update_settings_refuses_an_unknown_zone_and_keeps_the_stored_one(db):
    """Neither the zone nor the threshold sent with it is changed."""
    community = await f.community("America/New_York")

    with pytest.raises(DomainError) as caught:
        await update_community_settings(
            community, timezone="Mars/Base", lurker_threshold=5
        )
    stored = await get_community(community.id)

    assert caught.value.field == "timezone"
    assert "Mars/Base" in caught.value.message
    assert (stored.timezone, stored.lurker_threshold) == ("America/New_York", 0)
    assert community.timezone == "America/New_York"


async def test_negative_lurker_threshold_is_refused(db):
    """The threshold counts page views: it cannot be negative."""
    community = await f.community()

    with pytest.raises(DomainError) as caught:
        await update_community_settings(community, lurker_threshold=-1)
    stored = await get_community(community.id)

    assert (caught.value.field, caught.value.code) == (
        "lurkerThreshold",
        ErrorCode.OUT_OF_RANGE,
    )
    assert stored.lurker_threshold == 0


# -- periods ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-13", "24-01", "2024-00", "2024-1", ""])
def test_parse_month_refuses_what_is_no_month(value):
    """Only ``YYYY-MM`` with a month 01 to 12 is a month."""
    with pytest.raises(DomainError) as caught:
        parse_month(value)

    assert caught.value.field == "month"
    assert "YYYY-MM" in caught.value.message


Query = Callable[[Community, date, date], Awaitable[Any]]

QUERIES: dict[str, Query] = {
    "monthly_activity": monthly_activity,
    "engagement_summary": engagement_summary,
    "customer_engagement": lambda c, first, last: customer_engagement(
        c, first, last, []
    ),
    "list_customers": list_customers,
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
async def test_from_after_to_is_refused(db, query):
    """March to February, as months and as dates."""
    community = await f.community()

    with pytest.raises(DomainError) as caught:
        await query(community, day("2024-03-01"), day("2024-02-01"))

    assert (caught.value.field, caught.value.code) == ("from", ErrorCode.OUT_OF_RANGE)
    assert "after" in caught.value.message


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
async def test_range_over_five_years_is_refused(db, query):
    """2020-01-01 to 2025-01-01 is 61 months and five years and a day."""
    community = await f.community()

    with pytest.raises(DomainError) as caught:
        await query(community, day("2020-01-01"), day("2025-01-01"))

    assert (caught.value.field, caught.value.code) == ("to", ErrorCode.OUT_OF_RANGE)


async def test_range_of_exactly_five_years_is_accepted(db):
    """60 months, and 2020-01-01 to 2024-12-31, are still fine."""
    community = await f.community()

    months = await monthly_activity(community, day("2020-01-01"), day("2024-12-01"))
    summary = await engagement_summary(community, day("2020-01-01"), day("2024-12-31"))

    assert len(months) == 60
    assert len(summary.months) == 60


# -- page views and contributions ---------------------------------------------


async def refused_view(community: Community, **overrides: Any) -> DomainError:
    """Record one page view that must be refused, and return its error."""
    result = await record_page_views(community, [f.page_view(**overrides)])
    assert result.stored == 0
    [(index, error)] = result.errors
    assert index == 0
    return error


async def test_naive_instant_is_refused(db):
    """An instant without an offset is ambiguous; nothing is stored."""
    community = await f.community()

    error = await refused_view(community, occurred_at=datetime(2024, 2, 10, 12))
    stored = await PageView.all().count()

    assert error.field == "occurredAt"
    assert "time zone" in error.message
    assert stored == 0


async def test_view_more_than_a_day_ahead_is_refused(db):
    """25 hours ahead is refused; 23 hours ahead (a skewed clock) is accepted."""
    community = await f.community()
    now = datetime.now(UTC)

    error = await refused_view(community, occurred_at=now + timedelta(hours=25))
    near = await record_page_views(
        community, [f.page_view(occurred_at=now + timedelta(hours=23))]
    )

    assert error.field == "occurredAt"
    assert "24 hours" in error.message
    assert (near.stored, near.errors) == (1, [])


async def test_view_without_member_or_anonymous_id_is_refused(db):
    """Someone must have viewed the page."""
    community = await f.community()

    error = await refused_view(community, member=None, anonymous_id=None)
    stored = await PageView.all().count()

    assert error.field == "memberExternalId"
    assert "anonymous" in error.message
    assert stored == 0


def batch_with_a_bad_middle_item() -> list:
    return [
        f.page_view("m1", utc("2024-02-10T12:00")),
        f.page_view("m1", datetime(2024, 2, 11, 12)),  # naive
        f.page_view("m2", utc("2024-02-12T12:00")),
    ]


async def test_batch_with_one_bad_item_stores_nothing(db):
    """Without ``partial`` one refused item keeps the whole batch out."""
    community = await f.community()

    result = await record_page_views(community, batch_with_a_bad_middle_item())
    stored = await PageView.all().count()
    members = await Member.all().count()
    february = await engagement_summary(community, day("2024-02-01"), day("2024-02-29"))

    assert result.stored == 0
    assert [(i, e.field) for i, e in result.errors] == [(1, "occurredAt")]
    assert (stored, members, february.page_views) == (0, 0, 0)


async def test_partial_batch_stores_the_good_items_and_reports_the_bad_index(db):
    """With ``partial`` items 0 and 2 are stored, item 1 is reported."""
    community = await f.community()

    result = await record_page_views(
        community, batch_with_a_bad_middle_item(), partial=True
    )
    stored = await PageView.all().count()
    february = await engagement_summary(community, day("2024-02-01"), day("2024-02-29"))

    assert result.stored == 2
    assert [(i, e.field) for i, e in result.errors] == [(1, "occurredAt")]
    assert (stored, february.page_views, february.unique_visitors) == (2, 2, 2)


async def test_contribution_batch_with_one_bad_item_stores_nothing(db):
    """A contribution needs a member; its refusal keeps the good one out too."""
    community = await f.community()
    items = [f.contribution_input("m1"), f.contribution_input("")]

    result = await record_contributions(community, items)
    stored = await Contribution.all().count()

    assert result.stored == 0
    assert [(i, e.field) for i, e in result.errors] == [(1, "memberExternalId")]
    assert stored == 0


# -- ids ----------------------------------------------------------------------


async def test_company_of_another_community_is_not_found_like_a_missing_one(db):
    """The error does not tell that the id exists elsewhere."""
    ours = await f.community()
    theirs = await f.community()
    their_company = await f.company(theirs, "Theirs")

    with pytest.raises(NotFound) as other:
        await get_company(ours.id, their_company.id)
    with pytest.raises(NotFound) as missing:
        await get_company(ours.id, their_company.id + 1000)
    own = await get_company(theirs.id, their_company.id)

    assert (other.value.field, other.value.code) == ("companyId", ErrorCode.NOT_FOUND)
    assert (other.value.field, other.value.message, other.value.code) == (
        missing.value.field,
        missing.value.message,
        missing.value.code,
    )
    assert own.name == "Theirs"


async def test_member_cannot_be_linked_to_another_communitys_company(db):
    """Linking to a foreign company id fails as not found and creates no member."""
    ours = await f.community()
    theirs = await f.community()
    their_company = await f.company(theirs, "Theirs")

    with pytest.raises(NotFound) as foreign:
        await link_member(ours.id, "m1", their_company.id)
    with pytest.raises(NotFound) as missing:
        await link_member(ours.id, "m1", their_company.id + 1000)
    member = await get_member(ours.id, "m1")

    assert (foreign.value.field, foreign.value.code) == (
        "companyId",
        ErrorCode.NOT_FOUND,
    )
    assert foreign.value.message == missing.value.message
    assert member is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("001A0000006Vm9", id="14-characters"),
        pytest.param("001A0000006Vm9rIA", id="17-characters"),
        pytest.param("001A0000006Vm9!", id="punctuation"),
        pytest.param("001A0000006Vm9rIA9", id="suffix-outside-A-Z-0-5"),
        pytest.param("001A0000006Vm9rIAD", id="checksum-marks-a-digit-uppercase"),
    ],
)
async def test_invalid_salesforce_id_is_refused_and_nothing_saved(db, value):
    """Neither a 15- nor a valid 18-character Salesforce id."""
    community = await f.community()

    with pytest.raises(DomainError) as caught:
        await save_company(community.id, CrmSource.SALESFORCE, value, "Acme")
    stored = await Company.all().count()

    assert caught.value.field == "crmId"
    assert "Salesforce" in caught.value.message or "checksum" in caught.value.message
    assert stored == 0


def test_salesforce_id_in_either_form_is_accepted():
    """The control: ``001A0000006Vm9r`` has the suffix IAC (bits 8, 0 and 2)."""
    short, long_lowercased = "001A0000006Vm9r", "001a0000006vm9riac"

    canonical = (canonical_id(short), canonical_id(long_lowercased))

    assert canonical == ("001A0000006Vm9rIAC", "001A0000006Vm9rIAC")


# -- customer periods ---------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "field"),
    [
        ([(datetime(2024, 1, 1), None)], "customerPeriods.from"),
        ([(None, datetime(2024, 1, 1))], "customerPeriods.to"),
        (
            [(utc("2024-03-01T00:00"), utc("2024-02-01T00:00"))],
            "customerPeriods.to",
        ),
        (
            [(utc("2024-03-01T00:00"), utc("2024-03-01T00:00"))],
            "customerPeriods.to",
        ),
    ],
    ids=["naive-from", "naive-to", "to-before-from", "empty-period"],
)
async def test_bad_customer_periods_are_refused_and_the_old_ones_kept(
    db, periods, field
):
    """The company stays a customer since always, as before the refused call."""
    community = await f.community()
    acme = await f.company(community, "Acme")

    with pytest.raises(DomainError) as caught:
        await set_customer_periods(acme, periods)
    kept = await CustomerPeriod.filter(company_id=acme.id).values_list(
        "starts_at", "ends_at"
    )

    assert caught.value.field == field
    assert kept == [(None, None)]


# -- the customer list --------------------------------------------------------


@pytest.mark.parametrize(
    "after",
    [
        pytest.param("not a cursor!", id="garbage"),
        pytest.param(encode_cursor(CustomerOrder.PAGE_VIEWS, (-1, "a", 1)), id="order"),
        pytest.param(encode_cursor(CustomerOrder.NAME, (5, 7)), id="wrong-types"),
        pytest.param(encode_cursor(CustomerOrder.NAME, ()), id="no-key"),
    ],
)
async def test_customer_list_refuses_a_cursor_that_is_not_its_own(db, after):
    """Garbage, another order's cursor or a forged key: ``after`` is at fault."""
    community = await f.community()
    await f.company(community, "Acme")

    with pytest.raises(DomainError) as caught:
        await list_customers(
            community,
            day("2024-02-01"),
            day("2024-02-29"),
            order=CustomerOrder.NAME,
            after=after,
        )

    assert caught.value.field == "after"


@pytest.mark.parametrize("limit", [0, 201])
async def test_customer_list_refuses_a_page_size_out_of_range(db, limit):
    """Pages hold 1 to 200 rows."""
    community = await f.community()

    with pytest.raises(DomainError) as caught:
        await list_customers(
            community, day("2024-02-01"), day("2024-02-29"), limit=limit
        )

    assert (caught.value.field, caught.value.code) == ("first", ErrorCode.OUT_OF_RANGE)


# -- text and instants no column can hold ---------------------------------------

NUL_REASON = "must not contain the NUL character (\\u0000)"
SURROGATE_REASON = "must not contain a lone UTF-16 surrogate"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("\x00", NUL_REASON), ("\ud800", SURROGATE_REASON)],
    ids=["nul", "surrogate"],
)
@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("path", lambda t: {"path": f"/t/{t}"}),
        ("memberExternalId", lambda t: {"member": f"m{t}"}),
        ("anonymousId", lambda t: {"member": None, "anonymous_id": f"a{t}"}),
        ("messageId", lambda t: {"message_id": f"v{t}"}),
    ],
    ids=["path", "member", "anonymous", "message-id"],
)
async def test_a_page_view_with_unstorable_text_is_refused(
    db, text, reason, field, overrides
):
    """PostgreSQL stores neither NUL nor a lone surrogate; both databases agree."""
    community = await f.community()

    error = await refused_view(community, **overrides(text))
    stored = await PageView.all().count()

    assert (error.field, error.message) == (field, reason)
    assert stored == 0


async def test_a_contribution_by_an_unstorable_member_is_refused(db):
    community = await f.community()

    result = await record_contributions(community, [f.contribution_input("m\x00")])
    stored = await Contribution.all().count()

    assert [(i, e.field, e.message) for i, e in result.errors] == [
        (0, "memberExternalId", NUL_REASON)
    ]
    assert stored == 0


@pytest.mark.parametrize(
    "occurred_at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
    ids=["year-1", "a-second-before", "before-in-another-offset"],
)
async def test_an_instant_before_1970_is_refused(db, occurred_at):
    """West of UTC, year 1 has no local day at all."""
    community = await f.community("America/Los_Angeles")

    error = await refused_view(community, occurred_at=occurred_at)
    stored = await PageView.all().count()

    assert error.field == "occurredAt"
    assert error.message == (
        "is before 1970-01-01T00:00:00Z; accepted instants run from then"
        " to 24 hours ahead"
    )
    assert stored == 0


async def test_the_first_instant_of_1970_is_accepted_west_of_utc(db):
    """Its local day is 31 December 1969 in Los Angeles."""
    community = await f.community("America/Los_Angeles")
    first = datetime(1970, 1, 1, tzinfo=UTC)

    result = await record_page_views(community, [f.page_view(occurred_at=first)])
    days = await fetch(
        "SELECT day, page_views FROM member_day_rollup WHERE community_id = ?",
        [community.id],
    )

    assert (result.stored, result.errors) == (1, [])
    assert [(str(row["day"]), row["page_views"]) for row in days] == [("1969-12-31", 1)]


# -- links ----------------------------------------------------------------------


@pytest.mark.parametrize("second", ["m1", " m1 "], ids=["same", "padded"])
async def test_one_member_twice_in_one_link_call_is_refused(db, second):
    """Unlinked, then B, then A: which is it? Nothing is written."""
    community = await f.community()
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta")

    with pytest.raises(DomainError) as caught:
        await link_members(community.id, [("m1", beta.id), (second, acme.id)])
    member = await get_member(community.id, "m1")

    assert caught.value.field == "links[1].externalId"
    assert caught.value.message == (
        "appears twice: links[0].externalId names the same member"
    )
    assert member is None


async def test_a_linked_member_named_twice_keeps_its_link(db):
    community = await f.community()
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta")
    await f.link(community, "m1", acme)

    with pytest.raises(DomainError):
        await link_members(
            community.id, [("m1", None), ("m2", acme.id), ("m1", beta.id)]
        )
    member = await get_member(community.id, "m1")

    assert member is not None
    assert (member.company_id, member.link_version) == (acme.id, 1)
    assert await get_member(community.id, "m2") is None


async def test_a_company_id_beyond_bigint_is_not_found(db):
    community = await f.community()

    with pytest.raises(NotFound) as caught:
        await get_company(community.id, "99999999999999999999")

    assert caught.value.field == "companyId"


# -- ENGAGEMENT_ATTRIBUTION_BATCH ------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-5", "2.5"])
def test_a_bad_attribution_batch_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("ENGAGEMENT_ATTRIBUTION_BATCH", value)

    with pytest.raises(ValueError) as caught:
        attribution_batch()

    assert str(caught.value) == (
        f"ENGAGEMENT_ATTRIBUTION_BATCH must be a whole number above 0; got {value!r}"
    )


@pytest.mark.parametrize(("value", "size"), [(None, 500), ("", 500), (" 25 ", 25)])
def test_the_attribution_batch_from_the_environment(monkeypatch, value, size):
    if value is None:
        monkeypatch.delenv("ENGAGEMENT_ATTRIBUTION_BATCH", raising=False)
    else:
        monkeypatch.setenv("ENGAGEMENT_ATTRIBUTION_BATCH", value)

    assert attribution_batch() == size


def test_a_bad_attribution_batch_leaves_the_commands_working():
    """Every command imports the domain; none may fail for a setting it never uses."""
    env = {**os.environ, "ENGAGEMENT_ATTRIBUTION_BATCH": "abc"}

    run = subprocess.run(
        [sys.executable, "-m", "cli", "migrate", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 0, run.stderr
    assert "Usage" in run.stdout


async def test_a_bad_attribution_batch_fails_the_enrichment_naming_it(db, monkeypatch):
    community = await f.community()
    monkeypatch.setenv("ENGAGEMENT_ATTRIBUTION_BATCH", "abc")

    with pytest.raises(ValueError, match=r"^ENGAGEMENT_ATTRIBUTION_BATCH must be"):
        await f.link(community, "m1", None)
