"""A company's CRM status history and the customer periods it implies.

Every CRM import (a CSV file, a Salesforce sync) records status changes here.
The stored changes are the source of truth: each time changes are recorded, the
company's customer periods are derived again from all of its stored changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.companies import Period, check_periods, set_customer_periods
from domain.db import write_transaction
from domain.errors import DomainError
from domain.models import Company, CompanyStatusChange, CustomerPeriod

CUSTOMER = "customer"
_BEFORE_ANY_RECORD = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StatusChange:
    """The company holds ``status`` from ``effective_at`` on (None: since always)."""

    effective_at: datetime | None
    status: str
    is_customer: bool


@dataclass(frozen=True)
class StatusUpdate:
    """What recording changes did: changes inserted or altered, periods rewritten."""

    stored: int
    periods_changed: bool


def status_change(
    status: str, effective_at: datetime | None, field: str = "status"
) -> StatusChange:
    """A change to the CRM word ``status``; ``customer`` in any case is a customer."""
    word = (status or "").strip().lower()
    if not word:
        raise DomainError(field, "must not be empty")
    return StatusChange(effective_at, word, word == CUSTOMER)


def _order(change: StatusChange) -> datetime:
    return change.effective_at or _BEFORE_ANY_RECORD


def periods_from_changes(changes: Iterable[StatusChange]) -> list[Period]:
    """The customer periods ``[from, to)`` a status history implies, in order.

    A change to customer opens a period unless one is open; a change away from
    customer closes the open one. Expects at most one change per instant.
    """
    periods: list[Period] = []
    opened: datetime | None = None
    is_open = False
    for change in sorted(changes, key=_order):
        if change.is_customer and not is_open:
            opened, is_open = change.effective_at, True
        elif not change.is_customer and is_open:
            if change.effective_at != opened:
                periods.append((opened, change.effective_at))
            is_open = False
    if is_open:
        periods.append((opened, None))
    return periods


def _by_instant(changes: Iterable[StatusChange]) -> dict[datetime | None, StatusChange]:
    """Check the instants and key the changes by them; a later one wins."""
    keyed: dict[datetime | None, StatusChange] = {}
    for change in changes:
        instant = change.effective_at
        if instant is not None and instant.tzinfo is None:
            raise DomainError("effectiveAt", "must carry a time zone offset")
        instant = instant.astimezone(UTC) if instant is not None else None
        word = change.status.strip().lower()
        if not word:
            raise DomainError("status", "must not be empty")
        keyed[instant] = StatusChange(instant, word, change.is_customer)
    return keyed


async def record_status_changes(
    company: Company, changes: Iterable[StatusChange]
) -> StatusUpdate:
    """Merge ``changes`` into the company's history and derive its periods again.

    A change at an instant already stored replaces the stored status there; an
    identical one changes nothing. All of it happens in one transaction.
    """
    incoming = _by_instant(changes)
    if not incoming:
        return StatusUpdate(stored=0, periods_changed=False)

    async with write_transaction(company.community_id) as conn:
        # Writers of one company's history take turns (a no-op on SQLite, which
        # has a single writer anyway); NO KEY leaves foreign keys to it alone.
        await Company.select_for_update(no_key=True).using_db(conn).get(id=company.id)
        rows = await _stored_rows(conn, company)
        stored = await _merge(conn, company, rows, incoming)
        history = {at: _change_of(row) for at, row in rows.items()} | incoming
        periods = periods_from_changes(history.values())
        changed = await _current_periods(conn, company) != check_periods(periods)
        if changed:
            await set_customer_periods(company, periods)
    return StatusUpdate(stored=stored, periods_changed=changed)


def _change_of(row: CompanyStatusChange) -> StatusChange:
    return StatusChange(row.effective_at, row.status, row.is_customer)


async def _stored_rows(
    conn: BaseDBAsyncClient, company: Company
) -> dict[datetime | None, CompanyStatusChange]:
    rows = await CompanyStatusChange.filter(company_id=company.id).using_db(conn)
    return {row.effective_at: row for row in rows}


async def _merge(
    conn: BaseDBAsyncClient,
    company: Company,
    rows: dict[datetime | None, CompanyStatusChange],
    incoming: dict[datetime | None, StatusChange],
) -> int:
    """Store the incoming changes that differ from the stored ``rows``."""
    new = [change for at, change in incoming.items() if at not in rows]
    altered = [
        (rows[at], change)
        for at, change in incoming.items()
        if at in rows and _change_of(rows[at]) != change
    ]
    await CompanyStatusChange.bulk_create(
        [
            CompanyStatusChange(
                community_id=company.community_id,
                company_id=company.id,
                effective_at=change.effective_at,
                status=change.status,
                is_customer=change.is_customer,
            )
            for change in new
        ],
        using_db=conn,
    )
    for row, change in altered:
        row.status, row.is_customer = change.status, change.is_customer
        await row.save(using_db=conn, update_fields=["status", "is_customer"])
    return len(new) + len(altered)


async def _current_periods(conn: BaseDBAsyncClient, company: Company) -> list[Period]:
    rows = await CustomerPeriod.filter(
        community_id=company.community_id,
        company_id=company.id,
    ).using_db(conn)
    periods = [(row.starts_at, row.ends_at) for row in rows]
    return sorted(periods, key=lambda p: p[0] or _BEFORE_ANY_RECORD)
