"""Trying a connection: who it logs in as, what the mapped fields look like.

Field-level security hides a field from describe and from queries alike, so
a mapped field missing from describe is reported as a problem here and
stops the sync, instead of reading as "no customers".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.models import SalesforceConnection
from domain.salesforce.client import CallPolicy, SalesforceApi
from domain.salesforce.connection import connection_secrets, get_connection
from domain.salesforce.errors import SalesforceSyncError
from domain.salesforce.mapping import AccountMapping

_TYPES = {
    "status": {"picklist", "string", "combobox"},
    "customerSince": {"date", "datetime"},
    "churnDate": {"date", "datetime"},
    "domain": {"url", "string"},
}


@dataclass(frozen=True)
class FieldCheck:
    """One mapped field: whether the sync's user sees it, and its type."""

    role: str
    name: str
    visible: bool
    type: str | None
    problem: str | None


@dataclass(frozen=True)
class ValueCheck:
    """A customer value against the picklist: active, inactive or unknown."""

    value: str
    state: str


@dataclass
class ConnectionCheck:
    """What trying the connection found."""

    ok: bool = True
    organization_id: str | None = None
    organization_name: str | None = None
    user: str | None = None
    api_usage: str | None = None
    matching_accounts: int | None = None
    fields: list[FieldCheck] = field(default_factory=list)
    customer_values: list[ValueCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.ok = False
        self.problems.append(text)


async def check_connection(community_id: int) -> ConnectionCheck:
    """Log in, describe Account, count the matching customers, report usage."""
    connection = await get_connection(community_id)
    check = ConnectionCheck()
    try:
        api = SalesforceApi(connection, connection_secrets(connection), CallPolicy())
        await _identify(api, check)
        await _check_fields(api, AccountMapping.of(connection), check)
        await _count_customers(api, connection, check)
        check.api_usage = api.api_usage()
    except SalesforceSyncError as error:
        check.problem(str(error))
    return check


async def _identify(api: SalesforceApi, check: ConnectionCheck) -> None:
    page = await api.query("SELECT Id, Name FROM Organization LIMIT 1")
    if page.get("records"):
        check.organization_id = page["records"][0].get("Id")
        check.organization_name = page["records"][0].get("Name")
    try:
        info = await api.userinfo()
    except SalesforceSyncError:
        return  # some sessions may not read userinfo; the org is enough
    check.user = (info or {}).get("preferred_username") or (info or {}).get("user_id")


async def _check_fields(
    api: SalesforceApi, mapping: AccountMapping, check: ConnectionCheck
) -> None:
    described = await api.describe("Account")
    by_name = {f["name"].lower(): f for f in described.get("fields", [])}
    roles = {
        "status": mapping.status_field,
        "customerSince": mapping.customer_since_field,
        "churnDate": mapping.churn_date_field,
        "domain": mapping.domain_field,
    }
    for role, name in roles.items():
        if name:
            check.fields.append(_field_check(role, name, by_name.get(name.lower())))
    for item in check.fields:
        if item.problem:
            check.problem(item.problem)
    status = by_name.get(mapping.status_field.lower())
    if status is not None and status.get("picklistValues"):
        check.customer_values = _value_checks(mapping, status["picklistValues"])


def _field_check(role: str, name: str, described: dict[str, Any] | None) -> FieldCheck:
    if described is None:
        hidden = (
            f"field {name} ({role}) is not visible to the sync's user: it does not"
            " exist or field-level security hides it"
        )
        return FieldCheck(role, name, False, None, hidden)
    kind = str(described.get("type"))
    if kind in _TYPES[role]:
        return FieldCheck(role, name, True, kind, None)
    wrong = f"field {name} ({role}) is of type {kind}, expected {sorted(_TYPES[role])}"
    return FieldCheck(role, name, True, kind, wrong)


def _value_checks(
    mapping: AccountMapping, picklist: list[dict[str, Any]]
) -> list[ValueCheck]:
    states = {str(v.get("value", "")).lower(): bool(v.get("active")) for v in picklist}
    checks = []
    for value in mapping.customer_values:
        known = states.get(value.strip().lower())
        # An inactive value is still on old records, so it still counts.
        word = "unknown" if known is None else "active" if known else "inactive"
        checks.append(ValueCheck(value, word))
    return checks


async def _count_customers(
    api: SalesforceApi, connection: SalesforceConnection, check: ConnectionCheck
) -> None:
    if any(not f.visible for f in check.fields if f.role == "status"):
        return
    mapping = AccountMapping.of(connection)
    values = ", ".join(_quote(v) for v in mapping.customer_values)
    where = f"{mapping.status_field} IN ({values})"
    if mapping.extra_filter:
        where += f" AND ({mapping.extra_filter})"
    page = await api.query(f"SELECT COUNT() FROM Account WHERE {where}")
    check.matching_accounts = int(page.get("totalSize", 0))


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
