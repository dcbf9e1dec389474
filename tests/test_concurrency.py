"""Links and re-attributions racing for one member end in the last link's state."""

from __future__ import annotations

import asyncio

from domain.attribution import reattribute_members
from domain.members import get_member, link_member, pending_attribution
from domain.metrics import company_traffic, company_visitors
from tests import factories as f

VIEWS = [f.utc(f"2024-0{month}-1{day}T12:00") for month in (1, 2, 3) for day in (1, 2)]


async def test_relinks_racing_for_one_member_end_in_the_last_link(db):
    community = await f.community()
    companies = [await f.company(community, name) for name in ("A", "B", "C")]
    await f.link(community, "m1", companies[0])
    await f.views(community, "m1", *VIEWS)

    async def relink(target: int) -> None:
        change = await link_member(community.id, "m1", companies[target].id)
        await reattribute_members(community.id, [change.member.id])

    for _ in range(5):
        await asyncio.gather(*(relink(target) for target in (1, 2, 0, 2, 1)))

    member = await get_member(community.id, "m1")
    assert member is not None
    traffic = await company_traffic(community, f.day("2024-01-01"), f.day("2024-03-31"))
    visitors = await company_visitors(
        community, f.day("2024-01-01"), f.day("2024-03-31")
    )
    views = {
        company.id: traffic.get(company.id, {}).get("page_views", 0)
        for company in companies
    }
    assert views == {
        c.id: len(VIEWS) if c.id == member.company_id else 0 for c in companies
    }
    assert {k: v for k, v in visitors.items() if v} == {member.company_id: 1}
    assert await pending_attribution(community.id) == []
