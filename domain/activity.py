"""Recording page views and contributions: validate, store once, roll up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from domain.communities import zone_of
from domain.db import write_transaction
from domain.errors import DomainError
from domain.members import resolve_members
from domain.models import Community, ContributionKind
from domain.rollups import ContributionFact, ViewFact, apply_activity
from domain.sql import insert_ignoring_duplicates
from domain.text import check_storable

MAX_FUTURE = timedelta(hours=24)
# The earliest accepted instant: no community's activity predates it, and from it
# on every instant has a local day, in any zone, that Python's dates can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MESSAGE_ID = 255
MAX_PATH = 2048
MAX_TITLE = 1024
MAX_URL = 4096

Item = TypeVar("Item", "PageViewInput", "ContributionInput")


@dataclass(frozen=True)
class PageViewInput:
    message_id: str
    occurred_at: datetime
    path: str
    member_external_id: str | None = None
    anonymous_id: str | None = None
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ContributionInput:
    message_id: str
    occurred_at: datetime
    member_external_id: str
    kind: ContributionKind


@dataclass
class RecordResult:
    """What a batch did: rows stored, duplicates skipped, items refused."""

    stored: int = 0
    duplicates: int = 0
    errors: list[tuple[int, DomainError]] = field(default_factory=list)


def check_text(
    value: str | None, name: str, limit: int, required: bool = False
) -> None:
    """Raise unless ``value`` fits its column: length and characters."""
    if value is None or value == "":
        if required:
            raise DomainError(name, "must not be empty")
        return
    if len(value) > limit:
        raise DomainError(name, f"must be at most {limit} characters")
    check_storable(value, name)


def check_instant(value: datetime, name: str, now: datetime) -> None:
    """Raise unless ``value`` is an aware instant from 1970 to a day ahead."""
    if value.tzinfo is None:
        raise DomainError(name, "must carry a time zone offset")
    if value < EARLIEST:
        raise DomainError(
            name,
            "is before 1970-01-01T00:00:00Z; accepted instants run from then"
            " to 24 hours ahead",
        )
    if value - now > MAX_FUTURE:
        raise DomainError(name, "is more than 24 hours in the future")


def check_page_view(item: PageViewInput, now: datetime) -> None:
    """Raise the first problem with a page view, naming its field."""
    check_text(item.message_id, "messageId", MAX_MESSAGE_ID, required=True)
    check_instant(item.occurred_at, "occurredAt", now)
    check_text(item.path, "path", MAX_PATH, required=True)
    check_text(item.title, "title", MAX_TITLE)
    check_text(item.url, "url", MAX_URL)
    check_text(item.member_external_id, "memberExternalId", 255)
    check_text(item.anonymous_id, "anonymousId", 255)
    if not item.member_external_id and not item.anonymous_id:
        raise DomainError(
            "memberExternalId", "either a member or an anonymous id is needed"
        )


def check_contribution(item: ContributionInput, now: datetime) -> None:
    """Raise the first problem with a contribution, naming its field."""
    check_text(item.message_id, "messageId", MAX_MESSAGE_ID, required=True)
    check_instant(item.occurred_at, "occurredAt", now)
    check_text(item.member_external_id, "memberExternalId", 255, required=True)


def _sort_out(
    items: Sequence[Item], check: Callable[[Item, datetime], None], result: RecordResult
) -> list[Item]:
    """Keep the valid items, first sighting of each message id only."""
    now = datetime.now(UTC)
    seen: set[str] = set()
    valid = []
    for index, item in enumerate(items):
        try:
            check(item, now)
        except DomainError as error:
            result.errors.append((index, error))
            continue
        if item.message_id in seen:
            result.duplicates += 1
            continue
        seen.add(item.message_id)
        valid.append(item)
    return valid


async def record_page_views(
    community: Community, items: Sequence[PageViewInput], partial: bool = False
) -> RecordResult:
    """Store new page views and add them to the rollups, in one transaction.

    With ``partial`` the valid items are stored even when others are refused;
    without it, one refused item stores nothing.
    """
    result = RecordResult()
    valid = _sort_out(items, check_page_view, result)
    if (result.errors and not partial) or not valid:
        return result

    async with write_transaction(community.id) as conn:
        members = await resolve_members(
            conn,
            community.id,
            (i.member_external_id for i in valid if i.member_external_id),
        )
        rows = [_page_view_row(community.id, item, members) for item in valid]
        stored = await insert_ignoring_duplicates(
            conn,
            "page_view",
            _PAGE_VIEW_COLUMNS,
            rows,
            conflict="community_id, message_id",
            returning="message_id",
        )
        fresh = {row["message_id"] for row in stored}
        facts = [
            ViewFact(
                members.get(i.member_external_id or ""), i.occurred_at.astimezone(UTC)
            )
            for i in valid
            if i.message_id in fresh
        ]
        await apply_activity(conn, community.id, zone_of(community), views=facts)

    result.stored = len(fresh)
    result.duplicates += len(valid) - len(fresh)
    return result


_PAGE_VIEW_COLUMNS = [
    ("community_id", "int"),
    ("member_id", "bigint"),
    ("anonymous_id", "text"),
    ("occurred_at", "timestamptz"),
    ("path", "text"),
    ("title", "text"),
    ("url", "text"),
    ("message_id", "text"),
]


def _page_view_row(
    community_id: int, item: PageViewInput, members: dict[str, int]
) -> list:
    member_id = (
        members.get(item.member_external_id) if item.member_external_id else None
    )
    return [
        community_id,
        member_id,
        None if member_id else item.anonymous_id,
        item.occurred_at.astimezone(UTC),
        item.path,
        item.title or None,
        item.url or None,
        item.message_id,
    ]


async def record_contributions(
    community: Community, items: Sequence[ContributionInput], partial: bool = False
) -> RecordResult:
    """Store new contributions and add them to the rollups, in one transaction."""
    result = RecordResult()
    valid = _sort_out(items, check_contribution, result)
    if (result.errors and not partial) or not valid:
        return result

    async with write_transaction(community.id) as conn:
        members = await resolve_members(
            conn, community.id, (i.member_external_id for i in valid)
        )
        rows = [
            [
                community.id,
                members[i.member_external_id],
                i.kind.value,
                i.occurred_at.astimezone(UTC),
                i.message_id,
            ]
            for i in valid
        ]
        stored = await insert_ignoring_duplicates(
            conn,
            "contribution",
            _CONTRIBUTION_COLUMNS,
            rows,
            conflict="community_id, message_id",
            returning="message_id",
        )
        fresh = {row["message_id"] for row in stored}
        facts = [
            ContributionFact(
                members[i.member_external_id], i.kind, i.occurred_at.astimezone(UTC)
            )
            for i in valid
            if i.message_id in fresh
        ]
        await apply_activity(
            conn, community.id, zone_of(community), contributions=facts
        )

    result.stored = len(fresh)
    result.duplicates += len(valid) - len(fresh)
    return result


_CONTRIBUTION_COLUMNS = [
    ("community_id", "int"),
    ("member_id", "bigint"),
    ("kind", "text"),
    ("occurred_at", "timestamptz"),
    ("message_id", "text"),
]
