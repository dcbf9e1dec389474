"""A small, fixed community for the dashboard: 32 companies over 15 months.

Chicago time, lurker threshold 10. Some companies churn, join late or come back,
some read without contributing (lurkers), some are never seen, two are no
customers in the default range at all. A random generator with a fixed seed
makes the traffic, so every run builds the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.activity import (
    ContributionInput,
    PageViewInput,
    record_contributions,
    record_page_views,
)
from domain.attribution import reattribute_members
from domain.communities import create_community
from domain.jobs import create_job, report_progress, start_job
from domain.members import link_members
from domain.models import Community, ContributionKind, Job, LinkSource, Member
from tests import factories as f

ZONE = "America/Chicago"
LURKER_THRESHOLD = 10
# Late on 28 February 2025 in Chicago, already 1 March in Tokyo (the browser's
# zone): the default range must be February 2024 to January 2025.
NOW = datetime(2025, 3, 1, 4, 0, tzinfo=UTC)
DEFAULT_RANGE = ("2024-02-01", "2025-01-31")

# fmt: off
NAMES = [
    "Acme Analytics", "Beacon Health", "Cobalt Logistics", "Delta Freight",
    "Evergreen Foods", "Fjord Robotics", "Granite Insurance", "Harbor Bank",
    "Indigo Media", "Juniper Retail", "Kestrel Energy", "Lumen Labs",
    "Maple Software", "Nimbus Cloud", "Orchid Pharma", "Pioneer Steel",
    "Quartz Security", "Riverbend Legal", "Summit Travel", "Tidal Telecom",
    "Umbra Design", "Vertex Motors", "Willow Education", "Xenon Chemicals",
    "Yarrow Agritech", "Zephyr Airlines", "Atlas Mining", "Bramble Games",
    "Cinder Studios", "Dune Outfitters", "Ember Hotels", "Fable Books",
]
# fmt: on
MONTHS = [(2023, 12), *((2024, m) for m in range(1, 13)), (2025, 1), (2025, 2)]

CHURNED = {3, 9, 15}  # customers until 10 August 2024
JOINED = {5, 12}  # customers from 20 June 2024
CAME_BACK = 7  # churned 10 January 2024, back on 5 March 2024
ENDED_BEFORE = 26  # no customer in the default range
STARTS_AFTER = 31  # no customer in the default range
NO_MEMBERS = {20, 27}  # never seen
SILENT = {22}  # members, but no page view ever: never seen
GONE_QUIET = {10, 18, 24}  # seen in December 2023 only
CONTRIBUTORS = {*range(0, 32, 3), 4, 13, 29}


def utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def periods(index: int) -> f.Periods:
    if index in CHURNED:
        return [(None, utc(2024, 8, 10, 5))]
    if index in JOINED:
        return [(utc(2024, 6, 20, 5), None)]
    if index == CAME_BACK:
        return [(None, utc(2024, 1, 10, 6)), (utc(2024, 3, 5, 6), None)]
    if index == ENDED_BEFORE:
        return [(None, utc(2023, 12, 15, 6))]
    if index == STARTS_AFTER:
        return [(utc(2025, 2, 10, 6), None)]
    return [(None, None)]


def visits(rng: random.Random, index: int) -> list[datetime]:
    """The page views of one member of company ``index``."""
    if index in SILENT:
        return []
    months = MONTHS[:1] if index in GONE_QUIET else MONTHS
    eagerness = 1.0 if index in GONE_QUIET else 0.25 + 0.7 * rng.random()
    instants = []
    for year, month in months:
        if rng.random() < eagerness:
            for _ in range(rng.randint(1, 4)):
                day, hour = rng.randint(1, 28), rng.randint(0, 23)
                instants.append(utc(year, month, day, hour))
    return instants


@dataclass
class Plan:
    """Everything to record, so that it is recorded in a few calls."""

    links: list[tuple[str, int]] = field(default_factory=list)
    views: list[PageViewInput] = field(default_factory=list)
    contributions: list[ContributionInput] = field(default_factory=list)


async def plan_company(
    owner: Community, rng: random.Random, plan: Plan, index: int, name: str
) -> None:
    company = await f.company(owner, name, periods(index))
    members = 0 if index in NO_MEMBERS else 3 if index == 0 else rng.randint(1, 4)
    slug = name.split()[0].lower()
    for number in range(1, members + 1):
        external_id = f"{slug}-{number}"
        plan.links.append((external_id, company.id))
        instants = visits(rng, index)
        plan.views += [f.page_view(external_id, instant) for instant in instants]
        if index in CONTRIBUTORS and instants:
            kind = rng.choice(list(ContributionKind))
            plan.contributions.append(
                f.contribution_input(external_id, instants[-1], kind)
            )


def plan_anonymous(rng: random.Random, plan: Plan) -> None:
    plan.views += [
        f.page_view(
            None,
            utc(year, month, rng.randint(1, 28), rng.randint(0, 23)),
            anonymous_id=f"anon-{rng.randint(1, 9)}",
        )
        for year, month in MONTHS
        for _ in range(rng.randint(0, 3))
    ]
    # A member who belongs to no company: counted in the community's visitors.
    plan.views += [
        f.page_view("visitor-unlinked", instant)
        for instant in (utc(2024, 5, 3), utc(2024, 9, 14))
    ]


async def record(owner: Community, plan: Plan) -> None:
    changes = await link_members(owner.id, plan.links, LinkSource.MANUAL)
    await reattribute_members(owner.id, [change.member.id for change in changes])
    for external_id, _ in plan.links:
        number, slug = external_id.rsplit("-", 1)[1], external_id.split("-")[0]
        await Member.filter(community_id=owner.id, external_id=external_id).update(
            email=f"user{number}@{slug}.example"
        )
    for start in range(0, len(plan.views), 1000):
        stored = await record_page_views(owner, plan.views[start : start + 1000])
        assert not stored.errors
    stored = await record_contributions(owner, plan.contributions)
    assert not stored.errors


async def seed_running_sync(owner: Community) -> None:
    job, _ = await create_job(owner.id, "salesforce_sync", {})
    await start_job(job.id)
    await report_progress(job.id, 0.4)
    # Started a few minutes before the browser's "now", for the screenshots.
    await Job.filter(id=job.id).update(started_at=NOW - timedelta(minutes=4))


async def seed() -> Community:
    owner = await create_community("Northwind Community", ZONE, LURKER_THRESHOLD)
    rng, plan = random.Random(2025), Plan()
    for index, name in enumerate(NAMES):
        await plan_company(owner, rng, plan, index, name)
    plan_anonymous(rng, plan)
    await record(owner, plan)
    await seed_running_sync(owner)
    return owner
