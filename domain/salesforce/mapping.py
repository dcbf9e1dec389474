"""What an Account record means here: a company, its domain, its status changes.

A status change takes effect at the mapped date (customer since, churned on)
when the record has one, else at the record's LastModifiedDate. On first sight
there is no change to date: the status is held since before any record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.companies import normalize_domain
from domain.errors import DomainError
from domain.models import SalesforceConnection
from domain.periods import day_start
from domain.salesforce_ids import canonical_id
from domain.status_history import StatusChange

NO_STATUS = "(none)"
DELETED = "(deleted)"
MERGED = "(merged)"
PURGED = "(purged)"
REMOVED_STATUSES = (DELETED, MERGED, PURGED)
MAX_NAME = 255
SYSTEM_FIELDS = ("Id", "Name", "IsDeleted", "MasterRecordId", "SystemModstamp")


@dataclass(frozen=True)
class AccountMapping:
    """The fields and values that carry an Account's meaning."""

    status_field: str = "Type"
    customer_values: tuple[str, ...] = ("Customer",)
    customer_since_field: str | None = None
    churn_date_field: str | None = None
    domain_field: str | None = "Website"
    extra_filter: str | None = None

    @classmethod
    def of(cls, connection: SalesforceConnection) -> AccountMapping:
        return cls(
            status_field=connection.status_field,
            customer_values=tuple(connection.customer_values or ("Customer",)),
            customer_since_field=connection.customer_since_field,
            churn_date_field=connection.churn_date_field,
            domain_field=connection.domain_field,
            extra_filter=connection.extra_filter,
        )

    @property
    def fields(self) -> list[str]:
        """The fields to select, each once, system fields first."""
        wanted: list[str | None] = [
            *SYSTEM_FIELDS,
            "LastModifiedDate",
            self.status_field,
        ]
        wanted += [self.customer_since_field, self.churn_date_field, self.domain_field]
        return list(dict.fromkeys(name for name in wanted if name))

    def is_customer(self, word: str) -> bool:
        return word in {value.strip().lower() for value in self.customer_values}


@dataclass(frozen=True)
class AccountRecord:
    """One Account row as the sync needs it."""

    account_id: str
    name: str
    is_deleted: bool
    master_record_id: str | None
    modstamp: datetime
    last_modified: datetime | None
    status: str
    is_customer: bool
    customer_since: datetime | None
    churned_at: datetime | None
    domains: frozenset[str]


def parse_instant(value: Any) -> datetime | None:
    """``2021-08-31T23:10:05.000+0000`` as an aware UTC datetime."""
    if not value:
        return None
    return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def parse_date_value(value: Any, zone: ZoneInfo) -> datetime | None:
    """A Date field (local midnight in the community's zone) or a DateTime field."""
    if not value or not isinstance(value, str):
        return None
    if len(value) == 10:
        return day_start(date.fromisoformat(value), zone)
    return parse_instant(value)


def soql_instant(instant: datetime) -> str:
    """A SOQL datetime literal: unquoted, UTC, with ``Z`` (no ``+`` to mangle)."""
    text = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


def parse_account(
    record: dict[str, Any], mapping: AccountMapping, zone: ZoneInfo
) -> AccountRecord:
    """The fields the sync uses; compound or missing values read as none."""
    raw_status = record.get(mapping.status_field)
    word = raw_status.strip().lower() if isinstance(raw_status, str) else ""
    word = word or NO_STATUS
    master = record.get("MasterRecordId")
    modstamp = parse_instant(record.get("SystemModstamp"))
    if modstamp is None:
        raise DomainError("SystemModstamp", "missing from a Salesforce record")
    return AccountRecord(
        account_id=canonical_id(str(record.get("Id")), "Id"),
        name=_name_of(record),
        is_deleted=bool(record.get("IsDeleted")),
        master_record_id=canonical_id(master, "MasterRecordId") if master else None,
        modstamp=modstamp,
        last_modified=parse_instant(record.get("LastModifiedDate")),
        status=word,
        is_customer=mapping.is_customer(word),
        customer_since=_mapped_date(record, mapping.customer_since_field, zone),
        churned_at=_mapped_date(record, mapping.churn_date_field, zone),
        domains=_domains_of(record, mapping.domain_field),
    )


def _name_of(record: dict[str, Any]) -> str:
    name = record.get("Name")
    text = name.strip() if isinstance(name, str) else ""
    return (text or str(record.get("Id")))[:MAX_NAME]


def _mapped_date(
    record: dict[str, Any], field: str | None, zone: ZoneInfo
) -> datetime | None:
    if not field:
        return None
    try:
        return parse_date_value(record.get(field), zone)
    except ValueError:
        return None


def _domains_of(record: dict[str, Any], field: str | None) -> frozenset[str]:
    value = record.get(field) if field else None
    if not isinstance(value, str) or not value.strip():
        return frozenset()
    found = set()
    for part in value.replace(",", " ").replace(";", " ").split():
        try:
            found.add(normalize_domain(part))
        except DomainError:
            continue
    return frozenset(found)


def first_changes(account: AccountRecord, customer_word: str) -> list[StatusChange]:
    """The history a first sight implies: the status held since its mapped date."""
    if account.is_customer:
        return [StatusChange(account.customer_since, account.status, True)]
    changes = [StatusChange(account.churned_at, account.status, False)]
    since = account.customer_since
    if account.churned_at is not None and (since is None or since < account.churned_at):
        changes.append(StatusChange(since, customer_word, True))
    return changes


def next_change(
    account: AccountRecord, previous: str, latest_at: datetime | None
) -> StatusChange | None:
    """The change an update implies, or None when the status did not change."""
    if account.status == previous:
        return None
    mapped = account.customer_since if account.is_customer else account.churned_at
    # A stale mapped date (older than the history already stored) would
    # reorder the history, so the record's own modification date is used.
    if mapped is not None and latest_at is not None and mapped <= latest_at:
        mapped = None
    at = mapped or account.last_modified or account.modstamp
    return StatusChange(at, account.status, account.is_customer)
