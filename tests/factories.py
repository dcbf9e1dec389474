"""Small builders for test data; keyword overrides say what is special."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from domain.activity import (
    ContributionInput,
    PageViewInput,
    record_contributions,
    record_page_views,
)
from domain.attribution import reattribute_members
from domain.communities import create_community
from domain.companies import save_company, set_customer_periods
from domain.members import get_member, link_member, unlink_member
from domain.models import Community, Company, ContributionKind, CrmSource, LinkSource

_ids = itertools.count(1)

Periods = list[tuple[datetime | None, datetime | None]]


def utc(text: str) -> datetime:
    """``2024-02-01T03:00`` (or with seconds) as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def day(text: str) -> date:
    """``2024-02-29`` as a date, for the local calendar dates of ranges."""
    return date.fromisoformat(text)


async def community(timezone: str = "UTC", lurker_threshold: int = 0) -> Community:
    return await create_community(f"Community {next(_ids)}", timezone, lurker_threshold)


async def company(
    owner: Community,
    name: str,
    periods: Periods | None = None,
    domains: tuple[str, ...] = (),
) -> Company:
    """A company; ``periods`` defaults to one open customer period since always."""
    created = await save_company(
        owner.id, CrmSource.CSV, f"crm-{next(_ids)}", name, domains
    )
    await set_customer_periods(created, [(None, None)] if periods is None else periods)
    return created


async def link(owner: Community, external_id: str, target: Company | None) -> None:
    """Link (or unlink) a member and run the enrichment at once."""
    change = await link_member(
        owner.id, external_id, target.id if target else None, LinkSource.MANUAL
    )
    await reattribute_members(owner.id, [change.member.id])


async def unlink(owner: Community, external_id: str) -> None:
    """Unlink an existing member the way the API does, then run the enrichment."""
    change = await unlink_member(owner.id, external_id)
    await reattribute_members(owner.id, [change.member.id])


async def member_id(owner: Community, external_id: str) -> int:
    found = await get_member(owner.id, external_id)
    assert found is not None
    return found.id


def page_view(
    member: str | None = "m1",
    occurred_at: datetime | None = None,
    *,
    anonymous_id: str | None = None,
    message_id: str | None = None,
    path: str = "/t/some-topic",
) -> PageViewInput:
    """A page view input of ``member`` (anonymous only when ``anonymous_id`` is set)."""
    return PageViewInput(
        message_id=message_id or f"view-{next(_ids)}",
        occurred_at=occurred_at or utc("2024-02-10T12:00"),
        path=path,
        member_external_id=member,
        anonymous_id=anonymous_id,
    )


def contribution_input(
    member: str = "m1",
    occurred_at: datetime | None = None,
    kind: ContributionKind = ContributionKind.REPLY,
    *,
    message_id: str | None = None,
) -> ContributionInput:
    return ContributionInput(
        message_id or f"contribution-{next(_ids)}",
        occurred_at or utc("2024-02-10T12:00"),
        member,
        kind,
    )


async def views(
    owner: Community, member: str | None, *instants: datetime, anonymous: str = "anon"
) -> None:
    """Record one page view per instant; anonymous (as ``anonymous``) without member."""
    items = [
        page_view(member, instant, anonymous_id=None if member else anonymous)
        for instant in instants
    ]
    result = await record_page_views(owner, items)
    assert not result.errors and result.stored == len(items)


async def contribution(
    owner: Community,
    member: str,
    instant: datetime,
    kind: ContributionKind = ContributionKind.REPLY,
) -> None:
    result = await record_contributions(
        owner, [contribution_input(member, instant, kind)]
    )
    assert not result.errors and result.stored == 1
