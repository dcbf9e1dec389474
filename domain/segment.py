"""Reading the fields of Segment messages: text, objects, JSON, instants.

Each reader names the field at fault and why, so a bad event is refused alone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from domain import activity
from domain.errors import DomainError
from domain.text import check_storable

# The widths of the columns that hold ids.
MAX_ID = 255


def text_field(
    message: dict[str, Any], name: str, limit: int | None = MAX_ID
) -> str | None:
    """A message's text field, or None; with a ``limit``, one fit to store."""
    value = string_value(message.get(name), name)
    if value is not None and limit is not None:
        activity.check_text(value, name, limit)
    return value


def required_field(
    message: dict[str, Any], name: str, limit: int | None = MAX_ID
) -> str:
    value = text_field(message, name, limit)
    if value is None:
        raise DomainError(name, "is required")
    return value


def string_value(value: Any, name: str) -> str | None:
    """Text as sent, a number as its text; empty is None, anything else refused."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DomainError(name, "must be a string")
    return value


def object_field(
    container: dict[str, Any], name: str, path: str = ""
) -> dict[str, Any]:
    """A nested JSON object, empty when absent."""
    value = container.get(name) or {}
    if not isinstance(value, dict):
        raise DomainError(path or name, "must be a JSON object")
    return value


def url_path(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).path or None
    except ValueError:
        raise DomainError("url", "is not a URL") from None


def check_json(value: Any, name: str) -> None:
    """Every key and string in ``value`` storable, every number finite.

    PostgreSQL's JSON type takes neither NUL nor NaN; the walk keeps its own
    stack, as a deeply nested value must not exhaust Python's.
    """
    pending: list[tuple[str, Any]] = [(name, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            check_storable(item, path)
        elif isinstance(item, float) and not math.isfinite(item):
            raise DomainError(path, "must be a finite number")
        elif isinstance(item, dict):
            for key, child in item.items():
                check_storable(key, path)
                pending.append((f"{path}.{key}", child))
        elif isinstance(item, list):
            pending += [(f"{path}[{i}]", child) for i, child in enumerate(item)]


def parse_instant(value: Any, name: str) -> datetime:
    """An ISO 8601 instant; one without an offset is taken as UTC."""
    if not isinstance(value, str):
        raise DomainError(name, "must be an ISO 8601 date-time")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError(name, f"{value!r} is not an ISO 8601 date-time") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def occurred_at(
    message: dict[str, Any], received_at: datetime, sent_at: Any
) -> datetime:
    """When the event happened, corrected for the sender's clock.

    As the Segment spec does: the sender's clock is off by ``sentAt`` minus
    the moment the request arrived (``receivedAt`` when a relay recorded it),
    so ``timestamp`` is moved by as much.
    """
    if message.get("receivedAt"):
        received_at = parse_instant(message["receivedAt"], "receivedAt")
    stamp = message.get("originalTimestamp") or message.get("timestamp")
    if stamp is None:
        return received_at
    instant = parse_instant(stamp, "timestamp")
    sent = message.get("sentAt") or sent_at
    if sent is None:
        return instant
    try:
        return received_at - (parse_instant(sent, "sentAt") - instant)
    except OverflowError:
        raise DomainError(
            "timestamp",
            "is out of range once corrected by sentAt; accepted instants run"
            " from 1970-01-01T00:00:00Z to 24 hours ahead",
        ) from None
