"""A community's Salesforce sync: accounts, then contacts, then member links.

One run at a time per community (a lease in the sync state row). Whatever a
run committed stays committed when it stops early; the watermark only ever
covers committed data, so the next run resumes without gaps or duplicates.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.communities import get_community
from domain.models import (
    Community,
    SalesforceAccount,
    SalesforceConnection,
    SalesforceSyncState,
)
from domain.salesforce.accounts import AccountCounts, apply_accounts
from domain.salesforce.client import CallPolicy, SalesforceApi
from domain.salesforce.connection import connection_secrets, get_connection
from domain.salesforce.contacts import CONTACT_FIELDS, ContactCounts, apply_contacts
from domain.salesforce.errors import SalesforceSyncError
from domain.salesforce.links import fold_merged_members, link_members_by_email
from domain.salesforce.mapping import AccountMapping
from domain.salesforce.reader import ObjectRead, ReadOptions, read_object
from domain.salesforce.reconcile import (
    ReconcileReport,
    mark_reconciled,
    reconcile_accounts,
)
from domain.salesforce.state import (
    acquire_lease,
    load_state,
    release_lease,
    watermark_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncOptions:
    """Tuning of a run; the defaults suit production."""

    read: ReadOptions = field(default_factory=ReadOptions)
    calls: CallPolicy = field(default_factory=CallPolicy)
    reconcile_every: timedelta = timedelta(days=1)


@dataclass
class SyncReport:
    """What a run did: counts, recoveries, and the members to re-attribute."""

    full: bool
    accounts: AccountCounts = field(default_factory=AccountCounts)
    contacts: ContactCounts = field(default_factory=ContactCounts)
    reconcile: ReconcileReport | None = None
    relinked_members: list[int] = field(default_factory=list)
    pages: int = 0
    splits: int = 0
    restarts: int = 0
    reauthentications: int = 0
    retries: int = 0
    api_usage: str | None = None
    duration_ms: float = 0.0

    def as_result(self) -> dict[str, Any]:
        """A JSON-friendly summary for the job row (no member ids, no secrets)."""
        accounts = {
            k: v for k, v in asdict(self.accounts).items() if k != "changed_companies"
        }
        return {
            "full": self.full,
            "accounts": accounts,
            "contacts": asdict(self.contacts),
            "reconcile": asdict(self.reconcile) if self.reconcile else None,
            "relinkedMembers": len(self.relinked_members),
            "pages": self.pages,
            "windowSplits": self.splits,
            "restarts": self.restarts,
            "reauthentications": self.reauthentications,
            "retries": self.retries,
            "apiUsage": self.api_usage,
            "durationMs": self.duration_ms,
        }


async def sync_salesforce(
    community_id: int, full: bool = False, options: SyncOptions | None = None
) -> SyncReport:
    """Sync the community's accounts and contacts from Salesforce, then link members."""
    options = options or SyncOptions()
    community = await get_community(community_id)
    connection = await get_connection(community_id)
    token = await acquire_lease(community_id)
    started = time.perf_counter()
    log.info("salesforce.sync.start", extra={"community": community_id, "full": full})

    report = SyncReport(full=full)
    error: str | None = None
    try:
        await _run(community, connection, token, report, options)
    except SalesforceSyncError as problem:
        error = str(problem)
        raise
    finally:
        report.duration_ms = round((time.perf_counter() - started) * 1000, 1)
        await release_lease(community_id, token, error)
    log.info(
        "salesforce.sync.done", extra={"community": community_id, **report.as_result()}
    )
    return report


async def _run(
    community: Community,
    connection: SalesforceConnection,
    token: str,
    report: SyncReport,
    options: SyncOptions,
) -> None:
    api = SalesforceApi(connection, connection_secrets(connection), options.calls)
    mapping = AccountMapping.of(connection)
    state = await load_state(community.id)
    # A first read sees every account there is: nothing here can be purged yet.
    first = not await SalesforceAccount.filter(community_id=community.id).exists()
    try:
        await _read_accounts(api, community, mapping, state, token, report, options)
        await _read_contacts(api, community.id, state, token, report, options)
        if report.full or (not first and _reconcile_due(state, options)):
            report.reconcile = await reconcile_accounts(api, community.id, mapping)
        elif first:
            await mark_reconciled(community.id)
    finally:
        report.reauthentications = api.reauthentications
        report.retries = api.retries
        report.api_usage = api.api_usage()

    moved = await fold_merged_members(community.id)
    linked = await link_members_by_email(community.id, connection.link_by_email_domain)
    report.relinked_members = sorted(set(moved) | set(linked))


async def _read_accounts(
    api: SalesforceApi,
    community: Community,
    mapping: AccountMapping,
    state: SalesforceSyncState,
    token: str,
    report: SyncReport,
    options: SyncOptions,
) -> None:
    async def apply(conn: Any, records: list[dict[str, Any]]) -> None:
        await apply_accounts(conn, community, mapping, records, report.accounts)

    read = ObjectRead(
        "Account", mapping.fields, mapping.extra_filter, apply, community.id, token
    )
    start = None if report.full else watermark_of(state, "Account")
    try:
        await read_object(api, read, start, options.read)
    finally:
        _count(report, read)


async def _read_contacts(
    api: SalesforceApi,
    community_id: int,
    state: SalesforceSyncState,
    token: str,
    report: SyncReport,
    options: SyncOptions,
) -> None:
    async def apply(conn: Any, records: list[dict[str, Any]]) -> None:
        await apply_contacts(conn, community_id, records, report.contacts)

    read = ObjectRead("Contact", CONTACT_FIELDS, None, apply, community_id, token)
    start = None if report.full else watermark_of(state, "Contact")
    try:
        await read_object(api, read, start, options.read)
    finally:
        _count(report, read)


def _count(report: SyncReport, read: ObjectRead) -> None:
    report.pages += read.pages
    report.splits += read.splits
    report.restarts += read.restarts


def _reconcile_due(state: SalesforceSyncState, options: SyncOptions) -> bool:
    last = state.reconciled_at
    return last is None or datetime.now(UTC) - last >= options.reconcile_every


async def reconcile_salesforce(
    community_id: int, options: SyncOptions | None = None
) -> ReconcileReport:
    """Compare every account id with Salesforce's and end the purged ones' periods."""
    options = options or SyncOptions()
    connection = await get_connection(community_id)
    token = await acquire_lease(community_id)
    error: str | None = None
    try:
        api = SalesforceApi(connection, connection_secrets(connection), options.calls)
        return await reconcile_accounts(
            api, community_id, AccountMapping.of(connection)
        )
    except SalesforceSyncError as problem:
        error = str(problem)
        raise
    finally:
        await release_lease(community_id, token, error)
