"""The full comparison of account ids that catches what increments cannot.

A record purged from the recycle bin (or emptied out of it) is gone from
query and queryAll alike, so no incremental read ever sees it go; only
comparing every id notices. Accounts that are live in Salesforce but unknown
here mean an increment was missed: the next sync then reads everything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.db import write_transaction
from domain.models import Company, SalesforceAccount, SalesforceSyncState
from domain.salesforce.client import SalesforceApi
from domain.salesforce.errors import ProtocolError
from domain.salesforce.mapping import PURGED, AccountMapping
from domain.salesforce_ids import canonical_id
from domain.status_history import StatusChange, record_status_changes

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    """What a reconciliation found."""

    salesforce_accounts: int = 0
    purged: int = 0
    missing_here: int = 0


async def salesforce_account_ids(
    api: SalesforceApi, mapping: AccountMapping
) -> dict[str, bool]:
    """Every account id in Salesforce (recycle bin included), and whether it is live."""
    where = f" WHERE ({mapping.extra_filter})" if mapping.extra_filter else ""
    page = await api.query(
        f"SELECT Id, IsDeleted FROM Account{where}", include_deleted=True
    )
    found: dict[str, bool] = {}
    while True:
        for record in page.get("records", []):
            found[canonical_id(str(record["Id"]), "Id")] = not record.get("IsDeleted")
        if page.get("done") is True:
            return found
        if not page.get("nextRecordsUrl"):
            raise ProtocolError(
                "a page says more records follow but gives no next-records URL"
            )
        page = await api.query_more(page["nextRecordsUrl"])


async def reconcile_accounts(
    api: SalesforceApi, community_id: int, mapping: AccountMapping
) -> ReconcileReport:
    """End the customer periods of purged accounts; flag accounts never seen."""
    remote = await salesforce_account_ids(api, mapping)
    rows = await SalesforceAccount.filter(community_id=community_id)
    local = {row.account_id: row for row in rows}
    report = ReconcileReport(salesforce_accounts=len(remote))

    now = datetime.now(UTC)
    for row in rows:
        if row.account_id not in remote and not row.is_deleted:
            await _purge(row, now)
            report.purged += 1
    missing = [i for i, live in remote.items() if live and i not in local]
    report.missing_here = len(missing)
    if missing:
        await SalesforceSyncState.filter(community_id=community_id).update(
            accounts_modstamp=None, accounts_last_id=None
        )
    await mark_reconciled(community_id, now)
    log.info(
        "salesforce.reconcile.done", extra={"community": community_id, **vars(report)}
    )
    return report


async def mark_reconciled(community_id: int, at: datetime | None = None) -> None:
    """Note that every account id was compared (or read) at ``at``."""
    await SalesforceSyncState.filter(community_id=community_id).update(
        reconciled_at=at or datetime.now(UTC)
    )


async def _purge(row: SalesforceAccount, now: datetime) -> None:
    async with write_transaction(row.community_id) as conn:
        company_id = row.company_id  # type: ignore[attr-defined]
        company = await Company.filter(id=company_id).using_db(conn).get()
        await record_status_changes(company, [StatusChange(now, PURGED, False)])
        await (
            SalesforceAccount.filter(id=row.id)
            .using_db(conn)
            .update(is_deleted=True, status=PURGED)
        )
