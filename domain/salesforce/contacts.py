"""One page of Contact records, written: each contact's e-mail and account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.errors import DomainError
from domain.models import SalesforceContact
from domain.salesforce.mapping import parse_instant
from domain.salesforce_ids import canonical_id

CONTACT_FIELDS = ["Id", "Email", "AccountId", "IsDeleted", "SystemModstamp"]
MAX_EMAIL = 320


@dataclass
class ContactCounts:
    """What the contact pages of a run did."""

    seen: int = 0
    stored: int = 0


def clean_email(value: Any) -> str | None:
    """An e-mail address lowercased, or None when it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if "@" not in text or len(text) > MAX_EMAIL or text.startswith("@"):
        return None
    return text


def _account_of(record: dict[str, Any]) -> str | None:
    value = record.get("AccountId")
    if not value:
        return None
    try:
        return canonical_id(str(value), "AccountId")
    except DomainError:
        return None


async def apply_contacts(
    conn: BaseDBAsyncClient,
    community_id: int,
    records: list[dict[str, Any]],
    counts: ContactCounts,
) -> None:
    """Store each contact's e-mail and account; unchanged ones are left alone."""
    wanted = {}
    for record in records:
        contact_id = canonical_id(str(record.get("Id")), "Id")
        wanted[contact_id] = {
            "account_id": _account_of(record),
            "email": clean_email(record.get("Email")),
            "is_deleted": bool(record.get("IsDeleted")),
            "modstamp": parse_instant(record.get("SystemModstamp")),
        }
    counts.seen += len(wanted)
    rows = await SalesforceContact.filter(
        community_id=community_id, contact_id__in=list(wanted)
    ).using_db(conn)
    known = {row.contact_id: row for row in rows}

    for contact_id, values in wanted.items():
        row = known.get(contact_id)
        if row is not None and any(getattr(row, k) != v for k, v in values.items()):
            await SalesforceContact.filter(id=row.id).using_db(conn).update(**values)
            counts.stored += 1
    new = [
        SalesforceContact(community_id=community_id, contact_id=contact_id, **values)
        for contact_id, values in wanted.items()
        if contact_id not in known
    ]
    await SalesforceContact.bulk_create(new, using_db=conn, batch_size=1000)
    counts.stored += len(new)
