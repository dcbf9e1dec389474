"""How a Salesforce call failed, in the sync's own terms.

simple-salesforce maps errors by HTTP status only; ``classify`` reads the
``errorCode`` of the body as well, since a 403 is either a rate limit or a
permission problem and a 400 covers a dozen unrelated failures.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

from domain.errors import DomainError


class SalesforceSyncError(Exception):
    """A sync that could not finish; ``code`` is stable for clients and logs."""

    code = "SALESFORCE_ERROR"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ConfigurationError(SalesforceSyncError):
    """The connection or mapping needs an admin's attention; retrying won't help."""

    code = "CONFIGURATION"


class PermissionProblem(SalesforceSyncError):
    """The Salesforce user may not read what the sync needs."""

    code = "PERMISSION"


class RateLimited(SalesforceSyncError):
    """The org's API request limit is used up; run again much later."""

    code = "REQUEST_LIMIT_EXCEEDED"


class SessionExpired(SalesforceSyncError):
    """The session is invalid and logging in again did not help."""

    code = "INVALID_SESSION_ID"


class QueryLocatorExpired(SalesforceSyncError):
    """A query's next-records locator is gone; restart from the watermark."""

    code = "INVALID_QUERY_LOCATOR"


class QueryTimeout(SalesforceSyncError):
    """The query ran too long on Salesforce's side; narrow its window."""

    code = "QUERY_TIMEOUT"


class Transient(SalesforceSyncError):
    """An outage or a network failure that may pass: retried a few times."""

    code = "UNAVAILABLE"


class ProtocolError(SalesforceSyncError):
    """Salesforce answered something the wire format does not allow."""

    code = "PROTOCOL"


class SyncBusy(SalesforceSyncError):
    """Another worker holds this community's sync lease."""

    code = "BUSY"


class MissingSecretKey(DomainError):
    """ENGAGEMENT_SECRET_KEY is unset or not a Fernet key."""


_TRANSIENT_STATUS = {500, 502, 503, 504}


def error_codes(error: SalesforceError) -> list[str]:
    """The ``errorCode`` values of a Salesforce error body, if it has any."""
    content: Any = error.content
    if isinstance(content, list):
        return [
            str(item.get("errorCode", "")) for item in content if isinstance(item, dict)
        ]
    if isinstance(content, dict):
        return [str(content.get("errorCode", ""))]
    return []


def error_message(error: SalesforceError) -> str:
    """The first message of a Salesforce error body, else its status."""
    content: Any = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message", ""))[:500]
    return f"HTTP {error.status} from {error.resource_name or 'Salesforce'}"


def classify(error: Exception) -> SalesforceSyncError:
    """The sync's error for a simple-salesforce or requests exception."""
    if isinstance(error, SalesforceSyncError):
        return error
    if isinstance(error, requests.exceptions.SSLError):
        return ConfigurationError(
            "Salesforce's TLS certificate is not trusted; for a private CA, set the"
            " connection's CA bundle",
            "TLS",
        )
    if isinstance(error, requests.RequestException):
        return Transient(
            f"network failure talking to Salesforce: {type(error).__name__}"
        )
    if not isinstance(error, SalesforceError):
        raise error
    return _classify_response(error, error_codes(error), error_message(error))


def _classify_response(
    error: SalesforceError, codes: list[str], message: str
) -> SalesforceSyncError:
    if "REQUEST_LIMIT_EXCEEDED" in codes:
        return RateLimited(f"the org's API request limit is used up: {message}")
    if error.status == 401 or "INVALID_SESSION_ID" in codes:
        return SessionExpired(f"the Salesforce session is not valid: {message}")
    if error.status == 403:
        return PermissionProblem(
            f"the Salesforce user may not do this ({', '.join(codes) or 'HTTP 403'}):"
            f" {message}; grant API access and read access to Account and Contact"
        )
    if "INVALID_QUERY_LOCATOR" in codes:
        return QueryLocatorExpired(message)
    if "QUERY_TIMEOUT" in codes:
        return QueryTimeout(message)
    if "MALFORMED_QUERY" in codes:
        return ConfigurationError(
            f"Salesforce refused the query: {message}; check the extra SOQL filter",
            "MALFORMED_QUERY",
        )
    if "INVALID_FIELD" in codes:
        return ConfigurationError(_invisible_field(message), "INVALID_FIELD")
    if error.status in (414, 431):
        return ConfigurationError(
            f"the query is too long for Salesforce (HTTP {error.status}); shorten"
            " the extra SOQL filter",
            "QUERY_TOO_LONG",
        )
    if error.status in _TRANSIENT_STATUS:
        return Transient(f"Salesforce is unavailable (HTTP {error.status})")
    return SalesforceSyncError(message, ",".join(codes) or f"HTTP_{error.status}")


def _invisible_field(message: str) -> str:
    return (
        f"a mapped field cannot be read: {message}. It does not exist or field-level"
        " security hides it from the sync's user; nothing was imported, rather than"
        " reporting zero customers"
    )
