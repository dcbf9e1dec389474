"""The account sync: companies, customer periods, the watermark and its overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.db import fetch
from domain.metrics import monthly_activity
from domain.models import (
    Company,
    CompanyDomain,
    CustomerPeriod,
    SalesforceSyncState,
)
from domain.periods import parse_month
from domain.salesforce_ids import canonical_id
from tests import factories as f
from tests.salesforce.conftest import connect, sync


async def periods_of(community, account_id: str) -> list[tuple]:
    company = await Company.get(community_id=community.id, crm_id=account_id)
    rows = await CustomerPeriod.filter(company_id=company.id).order_by("starts_at")
    return [(row.starts_at, row.ends_at) for row in rows]


async def snapshot(community) -> dict[str, list]:
    """Every row the sync writes, to compare runs."""
    tables = {}
    for table in (
        "company",
        "company_domain",
        "company_status_change",
        "customer_period",
        "salesforce_account",
        "salesforce_contact",
    ):
        rows = await fetch(
            f"SELECT * FROM {table} WHERE community_id = ? ORDER BY id", [community.id]
        )
        tables[table] = rows
    state = await SalesforceSyncState.get(community_id=community.id)
    tables["watermark"] = [state.accounts_modstamp, state.accounts_last_id]
    return tables


async def test_a_first_sync_imports_accounts_by_id_with_their_status(connected, org):
    acme = org.add_account("Acme", "Customer", Website="https://www.acme.com/about")
    org.add_account("Prospect Co", "Prospect")
    org.add_account("No Type Ltd", None)

    report = await sync(connected)

    companies = await Company.filter(community_id=connected.id).order_by("name")
    assert [c.name for c in companies] == ["Acme", "No Type Ltd", "Prospect Co"]
    assert all(len(c.crm_id) == 18 for c in companies)
    assert companies[0].crm_id == canonical_id(acme)
    domains = await CompanyDomain.filter(company_id=companies[0].id)
    assert [d.domain for d in domains] == ["acme.com"]
    assert await periods_of(connected, acme) == [(None, None)]
    assert await CustomerPeriod.filter(community_id=connected.id).count() == 1
    assert report.accounts.created == 3


async def test_an_empty_run_changes_nothing(connected, org):
    org.add_account("Acme", "Customer")
    org.add_account("Beta", "Prospect")
    await sync(connected)
    before = await snapshot(connected)

    report = await sync(connected)

    assert await snapshot(connected) == before
    assert report.accounts.status_changes == 0 and report.accounts.created == 0


async def test_a_status_change_is_a_period_boundary_at_last_modified(connected, org):
    acme = org.add_account("Acme", "Customer")
    beta = org.add_account("Beta", "Prospect")
    await sync(connected)
    churned_at = datetime(2024, 3, 10, 12, tzinfo=UTC)
    won_at = datetime(2024, 3, 11, 9, tzinfo=UTC)

    org.update(acme, stamp=churned_at, Type="Former Customer")
    org.update(beta, stamp=won_at, Type="Customer")
    await sync(connected)

    assert await periods_of(connected, acme) == [(None, churned_at)]
    assert await periods_of(connected, beta) == [(won_at, None)]


async def test_mapped_dates_win_over_last_modified(connected, org):
    await connect(
        connected,
        org,
        customer_since_field="Customer_Since__c",
        churn_date_field="Churn_Date__c",
    )
    gone = org.add_account(
        "Gone",
        "Former Customer",
        Customer_Since__c="2023-02-01",
        Churn_Date__c="2023-09-15",
    )
    late = org.add_account("Late", "Prospect")
    await sync(connected)

    org.update(late, Type="Customer", Customer_Since__c="2024-01-05")
    await sync(connected)

    assert await periods_of(connected, gone) == [
        (datetime(2023, 2, 1, tzinfo=UTC), datetime(2023, 9, 15, tzinfo=UTC))
    ]
    assert await periods_of(connected, late) == [
        (datetime(2024, 1, 5, tzinfo=UTC), None)
    ]


async def test_the_watermark_overlap_catches_a_record_committed_late(connected, org):
    org.add_account("Acme", "Customer")
    await sync(connected)
    state = await SalesforceSyncState.get(community_id=connected.id)

    # Stamped before the watermark, visible only after the last run read.
    late = org.add_account(
        "Late Commit", "Customer", stamp=state.accounts_modstamp - timedelta(minutes=2)
    )
    await sync(connected)

    assert await Company.filter(community_id=connected.id, crm_id=late).exists()
    after = await SalesforceSyncState.get(community_id=connected.id)
    assert after.accounts_modstamp == state.accounts_modstamp


async def test_metrics_reflect_synced_customer_periods(connected, org):
    acme = org.add_account("Acme", "Customer")
    beta = org.add_account("Beta", "Customer")
    await sync(connected)
    org.update(beta, stamp=datetime(2024, 2, 10, tzinfo=UTC), Type="Churned")
    await sync(connected)
    acme_company = await Company.get(community_id=connected.id, crm_id=acme)
    await f.link(connected, "m1", acme_company)
    await f.views(connected, "m1", f.utc("2024-02-05T12:00"), f.utc("2024-03-05T12:00"))

    months = await monthly_activity(
        connected, parse_month("2024-02"), parse_month("2024-03")
    )

    assert [(m.active, m.total) for m in months] == [(1, 2), (1, 1)]
