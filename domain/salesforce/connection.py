"""A community's Salesforce connection: how it logs in and what its fields mean.

Secrets are encrypted before they reach the database and never leave this
module in the clear except to build a client. Saving again without a secret
keeps the stored one, so an admin can change the mapping without retyping it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from cryptography import x509

from domain.errors import DomainError, NotFound
from domain.models import SalesforceAuth, SalesforceConnection, SalesforceSyncState
from domain.salesforce.secrets import decrypt_secrets, encrypt_secrets

API_VERSION = "59.0"
DEFAULT_CUSTOMER_VALUES = ("Customer",)
SECRET_NAMES = ("password", "security_token", "private_key", "access_token")
MAX_FILTER = 4000
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_DOMAIN = re.compile(r"^(login|test|[A-Za-z0-9-]{1,80}(\.sandbox)?\.my)$")
_VERSION = re.compile(r"^\d{2}\.0$")
_REQUIRED = {
    SalesforceAuth.PASSWORD: ("username", "password"),
    SalesforceAuth.JWT: ("username", "consumer_key", "private_key"),
    SalesforceAuth.SESSION: ("instance_url", "access_token"),
}


@dataclass(frozen=True)
class ConnectionSettings:
    """What an admin sets; a secret left None keeps the stored one."""

    auth: SalesforceAuth
    domain: str = "login"
    instance_url: str | None = None
    username: str | None = None
    consumer_key: str | None = None
    password: str | None = None
    security_token: str | None = None
    private_key: str | None = None
    access_token: str | None = None
    ca_bundle: str | None = None
    api_version: str = API_VERSION
    status_field: str = "Type"
    customer_values: tuple[str, ...] = DEFAULT_CUSTOMER_VALUES
    customer_since_field: str | None = None
    churn_date_field: str | None = None
    domain_field: str | None = "Website"
    extra_filter: str | None = None
    link_by_email_domain: bool = False


@dataclass(frozen=True)
class ConnectionSummary:
    """A connection as the API shows it: which secrets are set, never their values."""

    auth: SalesforceAuth
    domain: str
    instance_url: str | None
    username: str | None
    has_ca_bundle: bool
    secrets_set: list[str] = field(default_factory=list)


async def get_connection(community_id: int) -> SalesforceConnection:
    """The community's connection, or NotFound when none is configured."""
    found = await SalesforceConnection.get_or_none(community_id=community_id)
    if found is None:
        raise NotFound("salesforce", "Salesforce connection")
    return found


async def connected_communities() -> list[int]:
    """The ids of the communities with a Salesforce connection, in order."""
    rows = (
        await SalesforceConnection.all().order_by("community_id").values("community_id")
    )
    return [row["community_id"] for row in rows]


def connection_secrets(connection: SalesforceConnection) -> dict[str, str]:
    """The decrypted credentials of a stored connection."""
    return decrypt_secrets(connection.secrets)


def summary_of(
    connection: SalesforceConnection, secrets: list[str]
) -> ConnectionSummary:
    return ConnectionSummary(
        auth=SalesforceAuth(connection.auth),
        domain=connection.domain,
        instance_url=connection.instance_url,
        username=connection.username,
        has_ca_bundle=bool(connection.ca_bundle),
        secrets_set=sorted(secrets),
    )


async def save_connection(
    community_id: int, settings: ConnectionSettings
) -> tuple[SalesforceConnection, ConnectionSummary]:
    """Check and store the connection; a changed mapping makes the next sync full."""
    check_settings(settings)
    existing = await SalesforceConnection.get_or_none(community_id=community_id)
    secrets = _merged_secrets(existing, settings)
    _check_required(settings, secrets)
    token = encrypt_secrets(secrets)

    values: dict[str, Any] = _columns(settings) | {"secrets": token}
    if existing is None:
        connection = await SalesforceConnection.create(
            community_id=community_id, **values
        )
    else:
        remapped = _mapping_of(existing) != _mapping_of_settings(settings)
        connection = await existing.update_from_dict(values)
        await connection.save()
        if remapped:
            await _reset_watermarks(community_id)
    return connection, summary_of(connection, [n for n, v in secrets.items() if v])


def _merged_secrets(
    existing: SalesforceConnection | None, settings: ConnectionSettings
) -> dict[str, str]:
    kept: dict[str, str] = {}
    if existing is not None and existing.auth == settings.auth:
        kept = decrypt_secrets(existing.secrets)
    given = {name: getattr(settings, name) for name in SECRET_NAMES}
    return {
        name: given[name] if given[name] is not None else kept.get(name, "")
        for name in SECRET_NAMES
    }


def _check_required(settings: ConnectionSettings, secrets: dict[str, str]) -> None:
    for name in _REQUIRED[settings.auth]:
        value = secrets.get(name) if name in SECRET_NAMES else getattr(settings, name)
        if not value:
            raise DomainError(
                _camel(name), f"is required for {settings.auth.value} login"
            )


def check_settings(settings: ConnectionSettings) -> None:
    """Refuse settings that can never work, naming the field."""
    if not _DOMAIN.match(settings.domain or ""):
        raise DomainError("domain", "must be login, test or a My Domain like acme.my")
    if not _VERSION.match(settings.api_version or ""):
        raise DomainError("apiVersion", "must look like 59.0")
    if settings.instance_url is not None:
        check_instance_url(settings.instance_url)
    if settings.ca_bundle:
        check_ca_bundle(settings.ca_bundle)
    if settings.private_key and "PRIVATE KEY" not in settings.private_key:
        raise DomainError("privateKey", "must be a PEM private key")
    _check_mapping(settings)


def _check_mapping(settings: ConnectionSettings) -> None:
    for name in (
        "status_field",
        "customer_since_field",
        "churn_date_field",
        "domain_field",
    ):
        value = getattr(settings, name)
        if value is not None and not _FIELD.match(value):
            raise DomainError(_camel(name), f"{value!r} is not a Salesforce field name")
    values = [v.strip() for v in settings.customer_values if v and v.strip()]
    if not values:
        raise DomainError("customerValues", "name at least one value meaning customer")
    if settings.extra_filter is not None:
        check_filter(settings.extra_filter)


def check_instance_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise DomainError("instanceUrl", "must be an https:// URL of the org")


def check_ca_bundle(pem: str) -> None:
    """The bundle must hold at least one PEM certificate."""
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        certificates = []
    if not certificates:
        raise DomainError("caBundle", "must hold PEM certificates (BEGIN CERTIFICATE)")


def check_filter(text: str) -> None:
    """A WHERE condition, balanced, without clauses of its own."""
    if len(text) > MAX_FILTER:
        raise DomainError("extraFilter", f"must be at most {MAX_FILTER} characters")
    outside_quotes = re.sub(r"'(?:[^'\\]|\\.)*'", "_", text)
    if "'" in outside_quotes:
        raise DomainError("extraFilter", "has an unterminated string")
    depth = 0
    for char in outside_quotes:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise DomainError("extraFilter", "has unbalanced parentheses")
    if re.search(r"\b(ORDER|LIMIT|OFFSET|GROUP|FROM|SELECT)\b", outside_quotes, re.I):
        raise DomainError("extraFilter", "must be a condition only, without clauses")


def _columns(settings: ConnectionSettings) -> dict[str, object]:
    return {
        "auth": settings.auth,
        "domain": settings.domain,
        "instance_url": settings.instance_url,
        "username": settings.username,
        "consumer_key": settings.consumer_key,
        "ca_bundle": settings.ca_bundle or None,
        "api_version": settings.api_version,
        **_mapping_of_settings(settings),
    }


def _mapping_of_settings(settings: ConnectionSettings) -> dict[str, object]:
    return {
        "status_field": settings.status_field,
        "customer_values": [v.strip() for v in settings.customer_values if v.strip()],
        "customer_since_field": settings.customer_since_field or None,
        "churn_date_field": settings.churn_date_field or None,
        "domain_field": settings.domain_field or None,
        "extra_filter": (settings.extra_filter or "").strip() or None,
        "link_by_email_domain": settings.link_by_email_domain,
    }


def _mapping_of(connection: SalesforceConnection) -> dict[str, object]:
    names = _mapping_of_settings(ConnectionSettings(SalesforceAuth.SESSION)).keys()
    return {name: getattr(connection, name) for name in names}


async def _reset_watermarks(community_id: int) -> None:
    await SalesforceSyncState.filter(community_id=community_id).update(
        accounts_modstamp=None, accounts_last_id=None
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
