"""Segment-spec messages (page, track, identify, group) into the engagement model.

``page`` is a page view; ``track`` is a contribution when its event name maps
to a kind; ``identify`` sets a member's e-mail and traits; ``group`` links a
member to a company. Page views and contributions are deduplicated by their
own tables; the other messages leave a receipt, so a resent batch changes
nothing, whatever it holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain import activity
from domain.communities import event_kinds
from domain.companies import find_company_by_crm_id, find_company_by_domain, get_company
from domain.db import execute, write_transaction
from domain.errors import DomainError
from domain.members import (
    LinkChange,
    check_external_id,
    link_members,
    resolve_members,
)
from domain.models import Community, ContributionKind, GroupKey
from domain.segment import (
    check_json,
    object_field,
    occurred_at,
    required_field,
    string_value,
    text_field,
    url_path,
)
from domain.sql import insert_ignoring_duplicates

MAX_EVENT_BYTES = 32 * 1024
# The width of the column that holds a member's e-mail.
MAX_EMAIL = 320
# Domain field names as a Segment sender knows them.
_SEGMENT_FIELDS = {
    "occurredAt": "timestamp",
    "memberExternalId": "userId",
    "path": "properties.path",
    "title": "properties.title",
    "url": "properties.url",
}


@dataclass
class IngestReport:
    """What a batch did, and each refused message by index, field and reason."""

    page_views: int = 0
    contributions: int = 0
    identifies: int = 0
    groups: int = 0
    other_events: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    relinked: list[LinkChange] = field(default_factory=list)

    def refuse(self, index: int, error: DomainError) -> None:
        self.errors.append(
            (index, _SEGMENT_FIELDS.get(error.field, error.field), error.message)
        )


@dataclass
class _Sorted:
    pages: list[tuple[int, activity.PageViewInput]] = field(default_factory=list)
    contributions: list[tuple[int, activity.ContributionInput]] = field(
        default_factory=list
    )
    identifies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    groups: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    others: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


async def ingest(
    community: Community,
    messages: Sequence[Any],
    received_at: datetime,
    sent_at: Any = None,
) -> IngestReport:
    """Apply a batch: every valid message is kept, every bad one reported."""
    report = IngestReport()
    kinds = event_kinds(community)
    parsed = _Sorted()
    for index, message in enumerate(messages):
        try:
            _sort(parsed, index, message, kinds, received_at, sent_at)
        except DomainError as error:
            report.refuse(index, error)

    await _apply_identifies(community, parsed.identifies, report)
    await _apply_groups(community, parsed.groups, report)
    await _apply_page_views(community, parsed.pages, report)
    await _apply_contributions(community, parsed.contributions, report)
    async with write_transaction(community.id) as conn:
        fresh = await _receipts(conn, community, [m for _, m in parsed.others])
    report.other_events += len(fresh)
    report.duplicates += len(parsed.others) - len(fresh)
    report.errors.sort()
    return report


def _sort(
    parsed: _Sorted,
    index: int,
    message: Any,
    kinds: dict[str, ContributionKind],
    received_at: datetime,
    sent_at: Any,
) -> None:
    if not isinstance(message, dict):
        raise DomainError("message", "must be a JSON object")
    if len(json.dumps(message, separators=(",", ":"))) > MAX_EVENT_BYTES:
        raise DomainError("message", f"is larger than {MAX_EVENT_BYTES} bytes")
    # A numeric id is accepted; from here on it is the text that is stored.
    message = {**message, "messageId": required_field(message, "messageId")}
    kind = message.get("type")
    if kind == "page":
        parsed.pages.append((index, _page_view(message, received_at, sent_at)))
    elif kind == "track":
        _track(parsed, index, message, kinds, received_at, sent_at)
    elif kind == "identify":
        parsed.identifies.append((index, _identify(message)))
    elif kind == "group":
        parsed.groups.append((index, _group(message)))
    elif kind in {"screen", "alias"}:
        parsed.others.append((index, message))
    else:
        raise DomainError("type", "must be page, track, identify or group")


def _track(
    parsed: _Sorted,
    index: int,
    message: dict[str, Any],
    kinds: dict[str, ContributionKind],
    received_at: datetime,
    sent_at: Any,
) -> None:
    event = required_field(message, "event", limit=None)
    kind = kinds.get(event)
    if kind is None:
        parsed.others.append((index, message))
        return
    member = text_field(message, "userId")
    if not member:
        raise DomainError("userId", "a contribution needs the member's userId")
    item = activity.ContributionInput(
        message_id=message["messageId"],
        occurred_at=occurred_at(message, received_at, sent_at),
        member_external_id=member,
        kind=kind,
    )
    parsed.contributions.append((index, item))


def _page_view(
    message: dict[str, Any], received_at: datetime, sent_at: Any
) -> activity.PageViewInput:
    properties = object_field(message, "properties")
    page = object_field(object_field(message, "context"), "page", "context.page")
    url = string_value(properties.get("url") or page.get("url"), "url")
    path = string_value(properties.get("path") or page.get("path"), "path")
    path = path or url_path(url)
    if not path:
        raise DomainError("properties.path", "a page view needs a path or a URL")
    title = properties.get("title") or page.get("title") or message.get("name")
    member = text_field(message, "userId")
    anonymous = text_field(message, "anonymousId")
    if not member and not anonymous:
        raise DomainError("userId", "either userId or anonymousId is needed")
    return activity.PageViewInput(
        message_id=message["messageId"],
        occurred_at=occurred_at(message, received_at, sent_at),
        path=path,
        member_external_id=member or None,
        anonymous_id=None if member else anonymous,
        title=string_value(title, "title"),
        url=url,
    )


def _identify(message: dict[str, Any]) -> dict[str, Any]:
    """The message, once its member, traits and e-mail are fit to store."""
    required_field(message, "userId")
    traits = object_field(message, "traits")
    check_json(traits, "traits")
    email = traits.get("email")
    if isinstance(email, str) and len(email) > MAX_EMAIL:
        raise DomainError("traits.email", f"must be at most {MAX_EMAIL} characters")
    return message


def _group(message: dict[str, Any]) -> dict[str, Any]:
    """The message with its member id as ``link_members`` will read it."""
    member = check_external_id(required_field(message, "userId"), "userId")
    required_field(message, "groupId")
    return {**message, "userId": member}


async def _receipts(
    conn: BaseDBAsyncClient, community: Community, messages: Sequence[dict[str, Any]]
) -> set[str]:
    """Leave a receipt per message id; return the ids seen for the first time.

    Called in the transaction that applies the messages, so a receipt never
    exists for a message whose effect was lost.
    """
    now = datetime.now(UTC)
    ids = sorted({m["messageId"] for m in messages})
    stored = await insert_ignoring_duplicates(
        conn,
        "message_receipt",
        [
            ("community_id", "int"),
            ("message_id", "text"),
            ("received_at", "timestamptz"),
        ],
        [[community.id, message_id, now] for message_id in ids],
        conflict="community_id, message_id",
        returning="message_id",
    )
    return {row["message_id"] for row in stored}


async def _apply_identifies(
    community: Community, items: list[tuple[int, dict[str, Any]]], report: IngestReport
) -> None:
    async with write_transaction(community.id) as conn:
        fresh = await _receipts(conn, community, [m for _, m in items])
        wanted = [m for _, m in items if m["messageId"] in fresh]
        ids = await resolve_members(
            conn, community.id, (str(m["userId"]) for m in wanted)
        )
        for message in wanted:
            traits = message.get("traits") or {}
            email = traits.get("email")
            await execute(
                "UPDATE member SET email = COALESCE(?, email), traits = ? WHERE id = ?",
                [
                    email if isinstance(email, str) else None,
                    # Whole, never cut: the event's size limit already bounds it.
                    json.dumps(traits, separators=(",", ":")),
                    ids[str(message["userId"])],
                ],
                conn,
            )
    report.duplicates += len(items) - len(wanted)
    report.identifies += len(wanted)


async def _group_target(community: Community, group_id: str) -> int:
    key = GroupKey(community.group_key)
    if key is GroupKey.COMPANY_ID:
        return (await get_company(community.id, group_id, "groupId")).id
    if key is GroupKey.DOMAIN:
        return (await find_company_by_domain(community.id, group_id, "groupId")).id
    return (await find_company_by_crm_id(community.id, group_id, "groupId")).id


async def _apply_groups(
    community: Community, items: list[tuple[int, dict[str, Any]]], report: IngestReport
) -> None:
    links: list[tuple[str, int]] = []
    accepted: list[dict[str, Any]] = []
    for index, message in items:
        try:
            links.append(
                (
                    str(message["userId"]),
                    await _group_target(community, str(message["groupId"])),
                )
            )
            accepted.append(message)
        except DomainError as error:
            report.refuse(index, error)
    async with write_transaction(community.id) as conn:
        fresh = await _receipts(conn, community, accepted)
        new_links = [
            link
            for link, m in zip(links, accepted, strict=True)
            if m["messageId"] in fresh
        ]
        if new_links:
            # A member grouped twice in one batch ends in its last group, as if
            # the messages had come one by one; link_members takes each once.
            latest = list(dict(new_links).items())
            report.relinked += await link_members(community.id, latest)
    report.duplicates += len(accepted) - len(new_links)
    report.groups += len(new_links)


async def _apply_page_views(
    community: Community,
    items: list[tuple[int, activity.PageViewInput]],
    report: IngestReport,
) -> None:
    if not items:
        return
    result = await activity.record_page_views(
        community, [i for _, i in items], partial=True
    )
    for position, error in result.errors:
        report.refuse(items[position][0], error)
    report.page_views += result.stored
    report.duplicates += result.duplicates


async def _apply_contributions(
    community: Community,
    items: list[tuple[int, activity.ContributionInput]],
    report: IngestReport,
) -> None:
    if not items:
        return
    result = await activity.record_contributions(
        community, [i for _, i in items], partial=True
    )
    for position, error in result.errors:
        report.refuse(items[position][0], error)
    report.contributions += result.stored
    report.duplicates += result.duplicates


@dataclass
class FileReport:
    """What an import of a file of messages did, by line."""

    lines: int = 0
    batches: IngestReport = field(default_factory=IngestReport)
    bad_lines: list[tuple[int, str, str]] = field(default_factory=list)


async def ingest_lines(
    community: Community,
    lines: Iterable[str],
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Ingest newline-delimited JSON messages in batches; safe to run again.

    Every message id is stored once, so a second run (or one resumed after a
    crash) stores only what the first did not. Memory holds one batch.
    """
    report = FileReport()
    pending: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, start=1):
        report.lines = number
        if not line.strip():
            continue
        try:
            pending.append((number, json.loads(line)))
        except ValueError:
            report.bad_lines.append((number, "line", "is not a JSON object"))
        if len(pending) >= batch_size:
            await _ingest_pending(community, pending, report, progress)
    await _ingest_pending(community, pending, report, progress)
    return report


async def _ingest_pending(
    community: Community,
    pending: list[tuple[int, Any]],
    report: FileReport,
    progress: Callable[[int], None] | None,
) -> None:
    if not pending:
        return
    numbers = [number for number, _ in pending]
    batch = await ingest(
        community, [message for _, message in pending], datetime.now(UTC)
    )
    total = report.batches
    total.page_views += batch.page_views
    total.contributions += batch.contributions
    total.identifies += batch.identifies
    total.groups += batch.groups
    total.other_events += batch.other_events
    total.duplicates += batch.duplicates
    total.relinked += batch.relinked
    report.bad_lines += [(numbers[i], name, why) for i, name, why in batch.errors]
    if progress:
        progress(len(pending))
    pending.clear()
