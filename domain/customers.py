"""Customer lists: filter by activity, search by name, sort, keyset cursors.

A cursor holds the sort key of the last row it returned, not an offset, so a
page that follows it starts right after that row however much activity has
arrived in between.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.answers import remembered
from domain.communities import zone_of
from domain.db import fetch
from domain.errors import DomainError, ErrorCode
from domain.metrics import company_page_views, company_visitors, last_seen
from domain.models import Community
from domain.periods import split_range

MAX_PAGE = 200


class ActivityFilter(StrEnum):
    ALL = "all"
    ACTIVE = "active"
    INACTIVE = "inactive"


class CustomerOrder(StrEnum):
    NAME = "name"
    PAGE_VIEWS = "page_views"
    UNIQUE_VISITORS = "unique_visitors"
    LAST_SEEN = "last_seen"


@dataclass(frozen=True)
class CustomerRow:
    company_id: int
    name: str
    active: bool
    sort_key: tuple[Any, ...]


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    total_count: int
    has_next_page: bool
    has_previous_page: bool

    def cursor(self, row: CustomerRow, order: CustomerOrder) -> str:
        return encode_cursor(order, row.sort_key)


def encode_cursor(order: CustomerOrder, key: tuple[Any, ...]) -> str:
    raw = json.dumps([order.value, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: CustomerOrder) -> tuple[Any, ...]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        # RecursionError: a forged cursor of deeply nested JSON arrays.
        raise DomainError("after", "is not a cursor of this list") from None
    if not isinstance(values, list) or not values or values[0] != order.value:
        raise DomainError("after", "belongs to a list in another order")
    key = tuple(values[1:])
    types = _KEY_TYPES[order]
    if len(key) != len(types) or not all(
        isinstance(value, kind) for value, kind in zip(key, types, strict=True)
    ):
        raise DomainError("after", "is not a cursor of this list")
    return key


# The shape of each order's sort key, as ``_sort_keys`` builds it: a forged
# cursor of another shape would not compare with the rows' keys.
_KEY_TYPES: dict[CustomerOrder, tuple[type | tuple[type, ...], ...]] = {
    CustomerOrder.NAME: (str, int),
    CustomerOrder.PAGE_VIEWS: (int, str, int),
    CustomerOrder.UNIQUE_VISITORS: (int, str, int),
    CustomerOrder.LAST_SEEN: (int, (int, float), str, int),
}


async def list_customers(
    community: Community,
    first: date,
    last: date,
    activity: ActivityFilter = ActivityFilter.ALL,
    search: str | None = None,
    order: CustomerOrder | None = None,
    limit: int = 50,
    after: str | None = None,
) -> tuple[CustomerPage, CustomerOrder]:
    """One page of the companies that were customers at some time in the range."""
    if not 1 <= limit <= MAX_PAGE:
        raise DomainError(
            "first", f"must be between 1 and {MAX_PAGE}", ErrorCode.OUT_OF_RANGE
        )
    if order is None:
        order = (
            CustomerOrder.LAST_SEEN
            if activity is ActivityFilter.INACTIVE
            else CustomerOrder.NAME
        )
    position = decode_cursor(after, order) if after else None
    split_range(first, last)  # refuses a bad range before anything is read
    needle = search.strip().casefold() if search and search.strip() else None

    ranked = await remembered(
        community.id,
        ("customers", first, last, activity, needle, order),
        lambda: _ranked(community, first, last, activity, needle, order),
    )
    start = 0
    if position is not None:
        start = next(
            (i for i, row in enumerate(ranked) if row.sort_key > position), len(ranked)
        )
    page = ranked[start : start + limit]
    return (
        CustomerPage(page, len(ranked), start + limit < len(ranked), start > 0),
        order,
    )


async def _ranked(
    community: Community,
    first: date,
    last: date,
    activity: ActivityFilter,
    needle: str | None,
    order: CustomerOrder,
) -> list[CustomerRow]:
    """Every row of the list, in order."""
    candidates = await _candidates(community, first, last, needle)
    views = await company_page_views(community, first, last)
    rows = [
        (company_id, name, views.get(company_id, 0) > 0)
        for company_id, name in candidates
    ]
    if activity is not ActivityFilter.ALL:
        wanted = activity is ActivityFilter.ACTIVE
        rows = [row for row in rows if row[2] == wanted]

    key_of = await _sort_keys(
        community, first, last, order, views, [r[0] for r in rows]
    )
    return sorted(
        (
            CustomerRow(cid, name, active, key_of(cid, name))
            for cid, name, active in rows
        ),
        key=lambda row: row.sort_key,
    )


async def _candidates(
    community: Community, first: date, last: date, needle: str | None
) -> list[tuple[int, str]]:
    start, end = split_range(first, last).bounds(zone_of(community))
    sql = (
        "SELECT DISTINCT c.id, c.name FROM company c JOIN customer_period cp"
        " ON cp.company_id = c.id WHERE c.community_id = ?"
        " AND (cp.starts_at IS NULL OR cp.starts_at < ?)"
        " AND (cp.ends_at IS NULL OR cp.ends_at > ?)"
    )
    rows = await fetch(sql, [community.id, end, start])
    found = [(row["id"], row["name"]) for row in rows]
    if needle:
        # Matched here, not by SQL LIKE: SQLite's LOWER() folds ASCII only, and
        # every candidate is loaded for sorting anyway. Wildcards are literal.
        found = [(cid, name) for cid, name in found if needle in name.casefold()]
    return found


async def _sort_keys(
    community: Community,
    first: date,
    last: date,
    order: CustomerOrder,
    views: dict[int, int],
    company_ids: list[int],
) -> Callable[[int, str], tuple[Any, ...]]:
    """A function giving each row a JSON-safe key that sorts ascending."""
    if order is CustomerOrder.NAME:
        return lambda cid, name: (name.casefold(), cid)
    if order is CustomerOrder.PAGE_VIEWS:
        return lambda cid, name: (-views.get(cid, 0), name.casefold(), cid)
    if order is CustomerOrder.UNIQUE_VISITORS:
        visitors = await company_visitors(community, first, last, company_ids)
        return lambda cid, name: (-visitors.get(cid, 0), name.casefold(), cid)

    seen = await last_seen(community, company_ids)
    return lambda cid, name: (*_newest_first(seen.get(cid)), name.casefold(), cid)


def _newest_first(instant: datetime | None) -> tuple[int, float]:
    """Most recent first, never seen last."""
    if instant is None:
        return (1, 0.0)
    return (0, -instant.timestamp())
