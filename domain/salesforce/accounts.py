"""One page of Account records, written: companies, domains, status history.

Companies are matched by the canonical 18-character Account Id alone, never
by name. A page is written in the caller's transaction and every write is a
difference from what is stored, so reading a record again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.communities import zone_of
from domain.companies import check_periods, set_customer_periods
from domain.models import (
    Community,
    Company,
    CompanyDomain,
    CompanyStatusChange,
    CrmSource,
    CustomerPeriod,
    SalesforceAccount,
)
from domain.salesforce.mapping import (
    DELETED,
    MERGED,
    REMOVED_STATUSES,
    AccountMapping,
    AccountRecord,
    first_changes,
    next_change,
    parse_account,
)
from domain.status_history import (
    StatusChange,
    periods_from_changes,
    record_status_changes,
)

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class AccountCounts:
    """What the account pages of a run did."""

    seen: int = 0
    created: int = 0
    renamed: int = 0
    status_changes: int = 0
    deleted: int = 0
    merged: int = 0
    undeleted: int = 0
    changed_companies: set[int] = field(default_factory=set)


@dataclass
class _Page:
    community: Community
    mapping: AccountMapping
    accounts: list[AccountRecord]
    known: dict[str, SalesforceAccount]
    companies: dict[str, int] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)


async def apply_accounts(
    conn: BaseDBAsyncClient,
    community: Community,
    mapping: AccountMapping,
    records: list[dict[str, Any]],
    counts: AccountCounts,
) -> None:
    """Write one page of Account records inside the caller's transaction."""
    zone = zone_of(community)
    by_id = {
        a.account_id: a for a in (parse_account(r, mapping, zone) for r in records)
    }
    accounts = list(by_id.values())
    known = await SalesforceAccount.filter(
        community_id=community.id, account_id__in=list(by_id)
    ).using_db(conn)
    page = _Page(community, mapping, accounts, {row.account_id: row for row in known})
    page.companies = {row.account_id: row.company_id for row in known}  # type: ignore[attr-defined]
    counts.seen += len(accounts)

    await _save_companies(conn, page, counts)
    await _save_domains(conn, page)
    await _record_statuses(conn, page, counts)
    await _save_account_rows(conn, page)


async def _save_companies(
    conn: BaseDBAsyncClient, page: _Page, counts: AccountCounts
) -> None:
    """Create the companies of new live accounts; rename the renamed."""
    community_id = page.community.id
    live = [a for a in page.accounts if not a.is_deleted]
    missing = [a.account_id for a in live if a.account_id not in page.companies]
    if missing:
        page.companies |= await _company_ids(conn, community_id, missing)
    new = [a for a in live if a.account_id not in page.companies]
    await Company.bulk_create(
        [_company_row(community_id, a) for a in new], using_db=conn, batch_size=1000
    )
    counts.created += len(new)
    page.created = {a.account_id for a in new}
    if new:
        page.companies |= await _company_ids(
            conn, community_id, [a.account_id for a in new]
        )

    names = (
        await Company.filter(id__in=[page.companies[a.account_id] for a in live])
        .using_db(conn)
        .values_list("id", "name")
    )
    current = dict(names)
    now = datetime.now(UTC)
    for account in live:
        company_id = page.companies[account.account_id]
        if current.get(company_id) != account.name:
            await (
                Company.filter(id=company_id)
                .using_db(conn)
                .update(name=account.name, updated_at=now)
            )
            counts.renamed += 1


def _company_row(community_id: int, account: AccountRecord) -> Company:
    return Company(
        community_id=community_id,
        crm_source=CrmSource.SALESFORCE,
        crm_id=account.account_id,
        name=account.name,
    )


async def _company_ids(
    conn: BaseDBAsyncClient, community_id: int, account_ids: list[str]
) -> dict[str, int]:
    rows = (
        await Company.filter(
            community_id=community_id,
            crm_source=CrmSource.SALESFORCE,
            crm_id__in=account_ids,
        )
        .using_db(conn)
        .values_list("crm_id", "id")
    )
    return {str(crm_id): int(company_id) for crm_id, company_id in rows}


async def _save_domains(conn: BaseDBAsyncClient, page: _Page) -> None:
    """Replace the domains of live companies whose domain field changed."""
    if not page.mapping.domain_field:
        return
    wanted = {
        page.companies[a.account_id]: a.domains
        for a in page.accounts
        if not a.is_deleted
    }
    rows = (
        await CompanyDomain.filter(company_id__in=list(wanted))
        .using_db(conn)
        .values_list("company_id", "domain")
    )
    stored: dict[int, set[str]] = {}
    for company_id, domain in rows:
        stored.setdefault(company_id, set()).add(domain)
    changed = [
        cid for cid, domains in wanted.items() if stored.get(cid, set()) != domains
    ]
    if not changed:
        return
    await CompanyDomain.filter(company_id__in=changed).using_db(conn).delete()
    await CompanyDomain.bulk_create(
        [
            CompanyDomain(community_id=page.community.id, company_id=cid, domain=domain)
            for cid in changed
            for domain in sorted(wanted[cid])
        ],
        using_db=conn,
        batch_size=1000,
    )


async def _record_statuses(
    conn: BaseDBAsyncClient, page: _Page, counts: AccountCounts
) -> None:
    """New companies get their history in bulk; others through the status history."""
    customer_word = page.mapping.customer_values[0].strip().lower()
    fresh = [a for a in page.accounts if a.account_id in page.created]
    await _insert_histories(conn, page, fresh, customer_word, counts)

    # A company made before its account row (elsewhere) keeps its history.
    settled = page.known.keys() | page.created
    adopted = [
        a for a in page.accounts if a.account_id not in settled and not a.is_deleted
    ]
    adoptions = {a.account_id: first_changes(a, customer_word) for a in adopted}
    await _apply_updates(conn, page, adoptions, counts)

    updates: dict[str, list[StatusChange]] = {}
    restored: list[AccountRecord] = []
    seen = [a for a in page.accounts if a.account_id in page.known]
    latest = await _latest_instants(conn, [page.companies[a.account_id] for a in seen])
    for account in seen:
        row = page.known[account.account_id]
        company_id = page.companies[account.account_id]
        if account.is_deleted:
            change = _removal(account, row, counts)
        elif row.is_deleted or row.status in REMOVED_STATUSES:
            restored.append(account)
            continue
        else:
            change = next_change(account, row.status or "", latest.get(company_id))
        if change is not None:
            updates[account.account_id] = [change]
    await _apply_updates(conn, page, updates, counts)
    await _restore(conn, page, restored, customer_word, counts)


def _removal(
    account: AccountRecord, row: SalesforceAccount, counts: AccountCounts
) -> StatusChange | None:
    """A deleted or merged-away account stops being a customer when it went."""
    word = MERGED if account.master_record_id else DELETED
    if row.status == word:
        return None
    if word == MERGED:
        counts.merged += 1
    else:
        counts.deleted += 1
    return StatusChange(account.modstamp, word, False)


async def _latest_instants(
    conn: BaseDBAsyncClient, company_ids: list[int]
) -> dict[int, datetime | None]:
    if not company_ids:
        return {}
    rows = (
        await CompanyStatusChange.filter(company_id__in=company_ids)
        .using_db(conn)
        .values_list("company_id", "effective_at")
    )
    latest: dict[int, datetime | None] = {}
    for company_id, instant in rows:
        if instant is not None and (latest.get(company_id) or _EARLIEST) < instant:
            latest[company_id] = instant
        latest.setdefault(company_id, None)
    return latest


async def _apply_updates(
    conn: BaseDBAsyncClient,
    page: _Page,
    updates: dict[str, list[StatusChange]],
    counts: AccountCounts,
) -> None:
    if not updates:
        return
    ids = {
        page.companies[account_id]: changes for account_id, changes in updates.items()
    }
    for company in await Company.filter(id__in=list(ids)).using_db(conn):
        result = await record_status_changes(company, ids[company.id])
        counts.status_changes += result.stored
        if result.periods_changed:
            counts.changed_companies.add(company.id)


async def _insert_histories(
    conn: BaseDBAsyncClient,
    page: _Page,
    accounts: Iterable[AccountRecord],
    customer_word: str,
    counts: AccountCounts,
) -> None:
    """The first history of companies that have none: the same derivation, in bulk."""
    changes_rows, period_rows = [], []
    for account in accounts:
        company_id = page.companies[account.account_id]
        changes = {c.effective_at: c for c in first_changes(account, customer_word)}
        for change in changes.values():
            changes_rows.append(_change_row(page.community.id, company_id, change))
        for start, end in check_periods(periods_from_changes(changes.values())):
            period_rows.append(
                CustomerPeriod(
                    community_id=page.community.id,
                    company_id=company_id,
                    starts_at=start,
                    ends_at=end,
                )
            )
        counts.changed_companies.add(company_id)
    await CompanyStatusChange.bulk_create(changes_rows, using_db=conn, batch_size=1000)
    await CustomerPeriod.bulk_create(period_rows, using_db=conn, batch_size=1000)
    counts.status_changes += len(changes_rows)


def _change_row(
    community_id: int, company_id: int, change: StatusChange
) -> CompanyStatusChange:
    return CompanyStatusChange(
        community_id=community_id,
        company_id=company_id,
        effective_at=change.effective_at,
        status=change.status,
        is_customer=change.is_customer,
    )


async def _restore(
    conn: BaseDBAsyncClient,
    page: _Page,
    accounts: list[AccountRecord],
    customer_word: str,
    counts: AccountCounts,
) -> None:
    """An undeleted account: its removal is undone, as if never deleted."""
    for account in accounts:
        company_id = page.companies[account.account_id]
        company = await Company.filter(id=company_id).using_db(conn).get()
        await (
            CompanyStatusChange.filter(
                company_id=company.id, status__in=list(REMOVED_STATUSES)
            )
            .using_db(conn)
            .delete()
        )
        rows = await CompanyStatusChange.filter(company_id=company.id).using_db(conn)
        history = [StatusChange(r.effective_at, r.status, r.is_customer) for r in rows]
        previous = max(history, key=lambda c: c.effective_at or _EARLIEST, default=None)
        if previous is None:
            new = first_changes(account, customer_word)
        else:
            latest = previous.effective_at
            change = next_change(account, previous.status, latest)
            new = [change] if change is not None else []
        if new:
            counts.status_changes += (await record_status_changes(company, new)).stored
        merged = {c.effective_at: c for c in [*history, *new]}
        await set_customer_periods(company, periods_from_changes(merged.values()))
        counts.undeleted += 1
        counts.changed_companies.add(company.id)


async def _save_account_rows(conn: BaseDBAsyncClient, page: _Page) -> None:
    """Remember what each account was; unknown deleted accounts are skipped."""
    new = []
    for account in page.accounts:
        status = _stored_status(account)
        row = page.known.get(account.account_id)
        if row is None:
            if account.account_id in page.companies:
                new.append(_account_row(page, account, status))
            continue
        values = {
            "is_deleted": account.is_deleted,
            "master_record_id": account.master_record_id,
            "status": status,
            "modstamp": account.modstamp,
        }
        if any(getattr(row, name) != value for name, value in values.items()):
            await SalesforceAccount.filter(id=row.id).using_db(conn).update(**values)
    await SalesforceAccount.bulk_create(new, using_db=conn, batch_size=1000)


def _stored_status(account: AccountRecord) -> str:
    if not account.is_deleted:
        return account.status
    return MERGED if account.master_record_id else DELETED


def _account_row(page: _Page, account: AccountRecord, status: str) -> SalesforceAccount:
    return SalesforceAccount(
        community_id=page.community.id,
        company_id=page.companies[account.account_id],
        account_id=account.account_id,
        is_deleted=account.is_deleted,
        master_record_id=account.master_record_id,
        status=status,
        modstamp=account.modstamp,
    )
