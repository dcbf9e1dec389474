"""Small builders for test data; keyword overrides say what is special."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from domain.activity import ContributionInput, PageViewInput, record_contributions, record_page_views
from domain.attribution import reattribute_members
from domain.communities import create_community
from domain.companies import save_company, set_customer_periods
from domain.members import get_member, link_member
from domain.models import Community, Company, ContributionKind, CrmSource, LinkSource

_ids = itertools.count(1)


def utc(text: str) -> datetime:
    """``2024-02-01T03:00`` (or with seconds) as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def community(timezone: str = "UTC", lurker_threshold: int = 0) -> Community:
    return await create_community(f"Community {next(_ids)}", timezone, lurker_threshold)


async def company(
    owner: Community,
    name: str,
    periods: list[tuple[datetime | None, datetime | None]] | None = None,
    domains: tuple[str, ...] = (),
) -> Company:
    """A company; ``periods`` defaults to one open customer period since always."""
    created = await save_company(owner.id, CrmSource.CSV, f"crm-{next(_ids)}", name, domains)
    await set_customer_periods(created, [(None, None)] if periods is None else periods)
    return created


async def link(owner: Community, external_id: str, target: Company | None) -> None:
    """Link (or unlink) a member and run the enrichment at once."""
    change = await link_member(
        owner.id, external_id, target.id if target else None, LinkSource.MANUAL
    )
    await reattribute_members(owner.id, [change.member.id])


async def member_id(owner: Community, external_id: str) -> int:
    found = await get_member(owner.id, external_id)
    assert found is not None
    return found.id


async def views(owner: Community, member: str | None, *instants: datetime, anonymous: str = "anon") -> None:
    items = [
        PageViewInput(
            message_id=f"view-{next(_ids)}",
            occurred_at=instant,
            path="/t/some-topic",
            member_external_id=member,
            anonymous_id=None if member else anonymous,
        )
        for instant in instants
    ]
    result = await record_page_views(owner, items)
    assert not result.errors and result.stored == len(items)


async def contribution(
    owner: Community, member: str, instant: datetime, kind: ContributionKind = ContributionKind.REPLY
) -> None:
    item = ContributionInput(f"contribution-{next(_ids)}", instant, member, kind)
    result = await record_contributions(owner, [item])
    assert not result.errors and result.stored == 1
