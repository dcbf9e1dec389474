"""Records as real orgs hold them: deleted, merged, purged, odd, shared stamps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from demo.salesforce_fake import error_body
from domain.models import Company, LinkSource, Member
from domain.salesforce.check import check_connection
from domain.salesforce.errors import ConfigurationError
from domain.salesforce_ids import canonical_id
from tests import factories as f
from tests.salesforce.conftest import connect, sync
from tests.salesforce.test_sync import periods_of


async def company_of(community, account_id: str) -> Company:
    return await Company.get(community_id=community.id, crm_id=canonical_id(account_id))


async def test_a_deleted_account_stops_being_a_customer_at_its_deletion(connected, org):
    acme = org.add_account("Acme", "Customer")
    await sync(connected)
    deleted_at = datetime(2024, 4, 2, 8, tzinfo=UTC)

    org.update(acme, stamp=deleted_at, IsDeleted=True)
    await sync(connected)

    assert await periods_of(connected, acme) == [(None, deleted_at)]


async def test_an_undeleted_account_is_a_customer_as_if_never_deleted(connected, org):
    acme = org.add_account("Acme", "Customer")
    await sync(connected)
    org.delete(acme)
    await sync(connected)

    org.undelete(acme)
    report = await sync(connected)

    assert await periods_of(connected, acme) == [(None, None)]
    assert report.accounts.undeleted == 1


async def test_a_merged_away_account_folds_its_members_into_the_survivor(
    connected, org
):
    survivor = org.add_account("Acme Inc", "Customer")
    loser = org.add_account("ACME (duplicate)", "Customer")
    await sync(connected)
    await f.link(connected, "manual-member", await company_of(connected, loser))
    await f.views(connected, "manual-member", f.utc("2024-01-20T10:00"))

    org.merge(loser, survivor)
    report = await sync(connected)

    member = await Member.get(community_id=connected.id, external_id="manual-member")
    assert member.company_id == (await company_of(connected, survivor)).id
    assert member.link_source is LinkSource.MANUAL
    assert report.accounts.merged == 1
    assert member.id in report.relinked_members
    [(start, end)] = await periods_of(connected, loser)
    assert start is None and end == org.accounts[loser]["SystemModstamp"]


async def test_a_purged_account_is_caught_by_the_reconciliation(connected, org):
    acme = org.add_account("Acme", "Customer")
    org.add_account("Beta", "Customer")
    await sync(connected)

    org.purge(acme)
    incremental = await sync(connected)
    full = await sync(connected, full=True)

    assert incremental.reconcile is None
    assert full.reconcile is not None and full.reconcile.purged == 1
    [(start, end)] = await periods_of(connected, acme)
    assert start is None and end is not None


async def test_an_inactive_picklist_value_still_on_records_counts(connected, org):
    org.picklist.append(("Customer - Legacy", False))
    await connect(connected, org, customer_values=("Customer", "Customer - Legacy"))
    legacy = org.add_account("Old Faithful", "Customer - Legacy")

    await sync(connected)
    check = await check_connection(connected.id)

    assert await periods_of(connected, legacy) == [(None, None)]
    assert check.ok, check.problems
    states = {v.value: v.state for v in check.customer_values}
    assert states == {"Customer": "active", "Customer - Legacy": "inactive"}
    assert check.matching_accounts == 1


async def test_person_accounts_are_accounts_like_any_other(connected, org):
    org.person_accounts = True
    person = org.add_account(
        "María José Núñez", "Customer", IsPersonAccount=True, PersonEmail="mj@gmail.com"
    )
    org.add_contact("mj@gmail.com", person, IsPersonAccount=True)
    await f.link(connected, "other", None)
    await Member.filter(community_id=connected.id, external_id="other").update(
        email="MJ@gmail.com"
    )

    await sync(connected)

    company = await company_of(connected, person)
    assert company.name == "María José Núñez"
    member = await Member.get(community_id=connected.id, external_id="other")
    assert member.company_id == company.id
    assert member.link_source is LinkSource.CRM_CONTACT


async def test_a_null_compound_address_is_never_a_problem(connected, org):
    org.add_account("No Address", "Customer", BillingAddress=None)
    org.add_account(
        "Has Address", "Customer", BillingAddress={"city": "Lyon", "country": "FR"}
    )
    await sync(connected)
    await connect(connected, org, domain_field="BillingAddress")

    check = await check_connection(connected.id)

    assert await Company.filter(community_id=connected.id).count() == 2
    assert all("BillingAddress" not in q for q in org.queries()[:1])
    assert not check.ok
    assert any("type address" in problem for problem in check.problems)


async def test_non_ascii_names_and_filters_survive_the_round_trip(connected, org):
    await connect(connected, org, extra_filter="Name != 'Ünïcödé Tëst'")
    names = ["Société Générale", "株式会社テスト", "Zürich Ärzte 🚀", "Ünïcödé Tëst"]
    ids = [org.add_account(name, "Customer") for name in names]

    await sync(connected)
    org.update(ids[0], Name="Société Générale SA")
    await sync(connected)

    stored = await Company.filter(community_id=connected.id).order_by("id")
    assert [c.name for c in stored] == ["Société Générale SA", *names[1:3]]


async def test_many_records_sharing_one_stamp_beyond_a_page_and_a_chunk(connected, org):
    stamp = org.tick()
    ids = [
        org.add_account(f"Bulk {n:03d}", "Customer", stamp=stamp) for n in range(450)
    ]
    org.max_page = 60

    report = await sync(connected, chunk=150)

    assert await Company.filter(community_id=connected.id).count() == 450
    assert report.accounts.seen == 450
    assert len({canonical_id(i) for i in ids}) == 450


async def test_a_bulk_edit_sharing_a_stamp_with_the_watermark_is_not_skipped(
    connected, org
):
    stamp = org.tick()
    first = [org.add_account(f"A {n}", "Prospect", stamp=stamp) for n in range(5)]
    await sync(connected)

    # Committed late in the same bulk edit: same stamp as the watermark.
    late = org.add_account("A late", "Customer", stamp=stamp)
    await sync(connected)

    assert await periods_of(connected, late) == [(None, None)]
    assert len(first) == 5


async def test_an_account_error_never_reads_as_zero_customers(connected, org):
    org.add_account("Acme", "Customer")
    await sync(connected)
    org.add_fault(
        "query", status=400, body=error_body("INVALID_FIELD", "No such column 'Type'")
    )

    with pytest.raises(ConfigurationError):
        await sync(connected)

    assert len(await periods_of(connected, next(iter(org.accounts)))) == 1
