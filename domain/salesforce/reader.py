"""Reading one object incrementally: windows, pages, the watermark, recovery.

Records are read through queryAll (deleted and merged rows included) ordered
by (SystemModstamp, Id), and each page is committed with the watermark in one
transaction. A run starts ``overlap`` before the stored watermark, because
Salesforce stamps a record when its transaction starts, not when it commits:
a record committed late can carry a stamp older than ones already read. Within
a run the (SystemModstamp, Id) pair is the cursor, so records sharing a stamp
(a bulk edit) are neither skipped nor read twice across chunks and restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import write_transaction
from domain.salesforce.client import SalesforceApi
from domain.salesforce.errors import (
    ProtocolError,
    QueryLocatorExpired,
    QueryTimeout,
    SessionExpired,
)
from domain.salesforce.mapping import parse_instant, soql_instant
from domain.salesforce.state import Watermark, store_watermark

log = logging.getLogger(__name__)

ApplyPage = Callable[[BaseDBAsyncClient, list[dict[str, Any]]], Awaitable[None]]
# Only for choosing a split point of an open window; no record is older.
_SPLIT_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReadOptions:
    """How an object is read; the defaults suit production."""

    overlap: timedelta = timedelta(minutes=10)
    chunk: int = 10_000  # LIMIT of each query; the cursor carries on after it
    max_splits: int = 64
    max_restarts: int = 5


@dataclass(frozen=True)
class Window:
    """``lower <= SystemModstamp < upper``; None is open on that side."""

    lower: datetime | None
    upper: datetime | None


@dataclass
class ObjectRead:
    """One object's read in one run, and what it did."""

    sobject: str
    fields: list[str]
    extra_filter: str | None
    apply: ApplyPage
    community_id: int
    lease_token: str
    pages: int = 0
    records: int = 0
    splits: int = 0
    restarts: int = 0
    cursor: Watermark | None = None
    stored: Watermark | None = None


async def read_object(
    api: SalesforceApi, read: ObjectRead, start: Watermark | None, options: ReadOptions
) -> ObjectRead:
    """Read every record changed since ``start`` (all of them when None)."""
    read.stored = start
    lower = start.modstamp - options.overlap if start is not None else None
    windows = [Window(lower, None)]
    while windows:
        try:
            await _read_window(api, read, windows[0], options)
        except QueryTimeout:
            windows[0:1] = _split(windows[0], read, options)
            continue
        except (QueryLocatorExpired, SessionExpired) as problem:
            await _recover(api, read, problem, options)
            continue
        windows.pop(0)
    return read


async def _recover(
    api: SalesforceApi, read: ObjectRead, problem: Exception, options: ReadOptions
) -> None:
    """Restart the window from the cursor; a new session first if it expired."""
    if read.restarts >= options.max_restarts:
        raise problem
    read.restarts += 1
    if isinstance(problem, SessionExpired):
        await api.reauthenticate()
    log.warning(
        "salesforce.sync.restart",
        extra={"sobject": read.sobject, "reason": type(problem).__name__},
    )


def _split(window: Window, read: ObjectRead, options: ReadOptions) -> list[Window]:
    """Two halves of what is left of a window that timed out."""
    if read.splits >= options.max_splits:
        raise QueryTimeout(
            "Salesforce timed out even on narrow windows; try again later"
        )
    low = window.lower
    if read.cursor is not None and (low is None or read.cursor.modstamp > low):
        low = read.cursor.modstamp
    low_ref = low or _SPLIT_FLOOR
    high_ref = window.upper or max(datetime.now(UTC), low_ref) + timedelta(minutes=1)
    if high_ref - low_ref < timedelta(seconds=2):
        raise QueryTimeout("Salesforce timed out on a window of one second")
    middle = low_ref + (high_ref - low_ref) / 2
    read.splits += 1
    log.info(
        "salesforce.sync.split",
        extra={"sobject": read.sobject, "at": middle.isoformat()},
    )
    return [replace(window, upper=middle), replace(window, lower=middle)]


def build_query(read: ObjectRead, window: Window, limit: int) -> str:
    """The SOQL for what is left of ``window`` after the cursor."""
    conditions = []
    cursor = read.cursor
    if cursor is not None and (window.lower is None or cursor.modstamp >= window.lower):
        stamp = soql_instant(cursor.modstamp)
        conditions.append(
            f"(SystemModstamp > {stamp} OR (SystemModstamp = {stamp}"
            f" AND Id > '{cursor.last_id}'))"
        )
    elif window.lower is not None:
        conditions.append(f"SystemModstamp >= {soql_instant(window.lower)}")
    if window.upper is not None:
        conditions.append(f"SystemModstamp < {soql_instant(window.upper)}")
    if read.extra_filter:
        conditions.append(f"({read.extra_filter})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return (
        f"SELECT {', '.join(read.fields)} FROM {read.sobject}{where}"
        f" ORDER BY SystemModstamp ASC, Id ASC LIMIT {limit}"
    )


async def _read_window(
    api: SalesforceApi, read: ObjectRead, window: Window, options: ReadOptions
) -> None:
    """Read a window to its end, chunk by chunk, page by page."""
    while True:
        page = await api.query(
            build_query(read, window, options.chunk), include_deleted=True
        )
        in_chunk = 0
        while True:
            records = _check_page(page)
            await _commit(read, records)
            in_chunk += len(records)
            if page["done"]:
                break
            page = await api.query_more(page["nextRecordsUrl"])
        if in_chunk < options.chunk:
            return


def _check_page(page: Any) -> list[dict[str, Any]]:
    """The page's records; a page that breaks the wire format stops the run."""
    if not isinstance(page, dict) or not isinstance(page.get("records"), list):
        raise ProtocolError("a query page without a records list")
    if not isinstance(page.get("done"), bool):
        raise ProtocolError("a query page without a done flag")
    if not page["done"] and not page.get("nextRecordsUrl"):
        raise ProtocolError(
            "a page says more records follow but gives no next-records URL"
        )
    return page["records"]


async def _commit(read: ObjectRead, records: list[dict[str, Any]]) -> None:
    """Write a page and move the watermark over it, in one transaction."""
    if not records:
        return
    last = _last_of(read, records)
    # Only a later stamp moves it: re-reading the overlap must write nothing.
    advanced = read.stored is None or last.modstamp > read.stored.modstamp
    async with write_transaction(read.community_id) as conn:
        await read.apply(conn, records)
        if advanced:
            await store_watermark(
                conn, read.community_id, read.lease_token, read.sobject, last
            )
    if advanced:
        read.stored = last
    read.cursor = last
    read.pages += 1
    read.records += len(records)
    log.debug(
        "salesforce.sync.page",
        extra={
            "sobject": read.sobject,
            "records": len(records),
            "at": last.modstamp.isoformat(),
        },
    )


def _last_of(read: ObjectRead, records: list[dict[str, Any]]) -> Watermark:
    """The page's last (SystemModstamp, Id); stamps must not go backwards."""
    previous = read.cursor.modstamp if read.cursor is not None else None
    for record in records:
        stamp = parse_instant(record.get("SystemModstamp"))
        if stamp is None or (previous is not None and stamp < previous):
            raise ProtocolError("records are not ordered by SystemModstamp")
        previous = stamp
    assert previous is not None
    return Watermark(previous, str(records[-1]["Id"]))
