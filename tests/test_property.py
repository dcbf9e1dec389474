"""Property: every metric equals a naive recount of the raw operations.

Hypothesis draws a small community (a zone, a few companies with customer
periods, a few members) and a story of links, re-links, unlinks, page views
and contributions at random instants over about three months, some anonymous,
some resent under a message id already used. The story runs through the
domain; a deliberately plain recount of the same story, loops over the events
and each member's final company, must give the very same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.activity import (
    ContributionInput,
    PageViewInput,
    record_contributions,
    record_page_views,
)
from domain.attribution import reattribute_members
from domain.db import connection
from domain.members import link_member, pending_attribution
from domain.metrics import (
    customer_engagement,
    engagement_summary,
    last_seen,
    monthly_activity,
)
from domain.models import Community, Company, ContributionKind
from tests import factories as f
from tests.conftest import TABLES
from tests.factories import utc

ZONES = ("America/New_York", "Europe/Berlin", "UTC", "Australia/Sydney")
MEMBERS = ("m0", "m1", "m2", "m3", "m4", "m5")
WINDOW_START = datetime(2023, 12, 28, tzinfo=UTC)
WINDOW_END = datetime(2024, 4, 10, tzinfo=UTC)  # past Sydney's April DST end
MONTHS = (
    date(2023, 12, 1),
    date(2024, 1, 1),
    date(2024, 2, 1),
    date(2024, 3, 1),
    date(2024, 4, 1),
)
COLUMN = {
    ContributionKind.TOPIC: "topics",
    ContributionKind.REPLY: "replies",
    ContributionKind.REACTION: "reactions",
    ContributionKind.SOLUTION: "solutions",
    ContributionKind.IDEA: "ideas",
}
MINUTE = timedelta(minutes=1)

Period = tuple[datetime | None, datetime | None]


def following_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


# -- the story ----------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    member: str
    company: int | None  # an index into the companies; None unlinks
    enrich: bool  # re-attribute at once, or leave the member pending


@dataclass(frozen=True)
class View:
    message_id: str
    member: str | None  # None: an anonymous view
    at: datetime


@dataclass(frozen=True)
class Views:
    batch: tuple[View, ...]


@dataclass(frozen=True)
class Contribute:
    message_id: str
    member: str
    kind: ContributionKind
    at: datetime


@dataclass(frozen=True)
class Contributions:
    batch: tuple[Contribute, ...]


@dataclass(frozen=True)
class CatchUp:
    """The worker runs: every pending member is re-attributed."""


Operation = Link | Views | Contributions | CatchUp


@dataclass(frozen=True)
class Scenario:
    zone: str
    periods: tuple[tuple[Period, ...], ...]  # one tuple per company
    operations: tuple[Operation, ...]
    ranges: tuple[tuple[date, date], ...]


@cache
def edge_instants(zone_name: str) -> tuple[datetime, ...]:
    """Around each local month start and each DST change in the window."""
    zone = ZoneInfo(zone_name)
    pivots = [
        datetime.combine(month, time(), zone).astimezone(UTC)
        for month in (*MONTHS, date(2024, 5, 1))
    ]
    instant = WINDOW_START
    while instant < WINDOW_END:
        after = instant + timedelta(hours=1)
        if after.astimezone(zone).utcoffset() != instant.astimezone(zone).utcoffset():
            pivots.append(after)
            local = after.astimezone(zone).date()
            for midnight in (local, local + timedelta(days=1)):
                pivots.append(datetime.combine(midnight, time(), zone).astimezone(UTC))
        instant = after
    edges = {p + shift for p in pivots for shift in (-MINUTE, timedelta(0), MINUTE)}
    return tuple(sorted(e for e in edges if WINDOW_START <= e < WINDOW_END))


def instants(zone: str) -> st.SearchStrategy[datetime]:
    minutes = int((WINDOW_END - WINDOW_START) / MINUTE)
    anywhere = st.integers(0, minutes - 1).map(lambda m: WINDOW_START + m * MINUTE)
    return st.one_of(anywhere, st.sampled_from(edge_instants(zone)))


def _period(pair: tuple[datetime | None, datetime | None]) -> Period:
    start, end = pair
    if start is not None and end is not None:
        start, end = min(start, end), max(start, end)
        if start == end:
            end = None
    return start, end


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    instant = instants(zone)
    maybe_instant = st.none() | instant
    period = st.tuples(maybe_instant, maybe_instant).map(_period)
    companies = draw(st.integers(1, 5))
    periods = draw(
        st.lists(
            st.lists(period, max_size=2).map(tuple),
            min_size=companies,
            max_size=companies,
        )
    )
    members = MEMBERS[: draw(st.integers(1, len(MEMBERS)))]
    member = st.sampled_from(members)
    some_company = st.integers(0, companies - 1)
    company = st.none() | some_company  # None unlinks
    # Every member starts linked, so that later re-links have history to move.
    first_links = [Link(m, draw(some_company), True) for m in members]

    link = st.builds(Link, member, company, st.sampled_from([True, True, True, False]))
    view = st.builds(
        View,
        st.integers(0, 24).map(lambda n: f"view-{n}"),
        st.none() | member | member,  # a third of the views anonymous
        instant,
    )
    contribute = st.builds(
        Contribute,
        st.integers(0, 9).map(lambda n: f"contribution-{n}"),
        member,
        st.sampled_from(list(ContributionKind)),
        instant,
    )
    operation = st.one_of(
        link,
        st.lists(view, min_size=1, max_size=4).map(lambda b: Views(tuple(b))),
        st.lists(contribute, min_size=1, max_size=2).map(
            lambda b: Contributions(tuple(b))
        ),
        st.just(CatchUp()),
    )
    operations = [*first_links, *draw(st.lists(operation, min_size=8, max_size=30))]

    some_day = st.dates(date(2023, 12, 20), date(2024, 4, 15))
    edge_day = st.sampled_from([*MONTHS, *(m - timedelta(days=1) for m in MONTHS[1:])])
    day = st.one_of(some_day, edge_day)
    ranges = draw(
        st.lists(st.tuples(day, day).map(sorted).map(tuple), min_size=1, max_size=3)
    )
    return Scenario(zone, tuple(periods), tuple(operations), tuple(ranges))


# -- the naive recount ---------------------------------------------------------


class Recount:
    """The metrics from the story alone: plain loops, no rollups."""

    def __init__(self, scenario: Scenario) -> None:
        self.zone = ZoneInfo(scenario.zone)
        self.periods = scenario.periods
        self.views: list[tuple[str | None, datetime]] = []
        self.contributions: list[tuple[str, ContributionKind, datetime]] = []
        self.company_of: dict[str, int | None] = {}
        seen_views: set[str] = set()
        seen_contributions: set[str] = set()
        for operation in scenario.operations:
            if isinstance(operation, Link):
                self.company_of[operation.member] = operation.company
            elif isinstance(operation, Views):
                for v in operation.batch:
                    if v.message_id not in seen_views:
                        seen_views.add(v.message_id)
                        self.views.append((v.member, v.at))
            elif isinstance(operation, Contributions):
                for c in operation.batch:
                    if c.message_id not in seen_contributions:
                        seen_contributions.add(c.message_id)
                        self.contributions.append((c.member, c.kind, c.at))

    def credited(self, member: str | None, company: int) -> bool:
        """Whether ``member``'s activity counts for ``company``: its final link."""
        return member is not None and self.company_of.get(member) == company

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def is_customer(self, company: int, first: date, last: date) -> bool:
        start = datetime.combine(first, time(), self.zone)
        end = datetime.combine(last + timedelta(days=1), time(), self.zone)
        for period_start, period_end in self.periods[company]:
            if (period_start is None or period_start < end) and (
                period_end is None or period_end > start
            ):
                return True
        return False

    def company_views(self, company: int, first: date, last: date) -> list[str]:
        """The member of each attributed page view in the range."""
        found = []
        for member, at in self.views:
            if self.credited(member, company) and first <= self.local_day(at) <= last:
                found.append(member)
        return found

    def counts(self, first: date, last: date) -> tuple[int, int]:
        """(active, total) customers of the range."""
        active = total = 0
        for company in range(len(self.periods)):
            if self.is_customer(company, first, last):
                total += 1
                if self.company_views(company, first, last):
                    active += 1
        return active, total

    def month(self, month: date) -> tuple[date, int, int]:
        last = following_month(month) - timedelta(days=1)
        return (month, *self.counts(month, last))

    def summary(self, first: date, last: date) -> tuple[Any, ...]:
        views = anonymous = 0
        visitors = set()
        for member, at in self.views:
            if first <= self.local_day(at) <= last:
                views += 1
                if member is None:
                    anonymous += 1
                else:
                    visitors.add(member)
        months = []
        month = first.replace(day=1)
        while month <= last:
            months.append(self.month(month))
            month = following_month(month)
        return (*self.counts(first, last), views, len(visitors), anonymous, months)

    def engagement(self, company: int, first: date, last: date) -> tuple[Any, ...]:
        members = self.company_views(company, first, last)
        contributions = dict.fromkeys(COLUMN.values(), 0)
        for member, kind, at in self.contributions:
            if self.credited(member, company) and first <= self.local_day(at) <= last:
                contributions[COLUMN[kind]] += 1
        return len(members), len(set(members)), contributions

    def last_seen(self, company: int) -> datetime | None:
        latest = None
        for member, at in self.views:
            if self.credited(member, company) and (latest is None or at > latest):
                latest = at
        return latest

    def metrics(self, ranges: tuple[tuple[date, date], ...]) -> dict[Any, Any]:
        companies = range(len(self.periods))
        result: dict[Any, Any] = {
            "months": [self.month(m) for m in MONTHS],
            "last seen": [self.last_seen(c) for c in companies],
        }
        for first, last in ranges:
            result[first, last] = {
                "summary": self.summary(first, last),
                "customers": [self.engagement(c, first, last) for c in companies],
            }
        return result


# -- running the story through the domain --------------------------------------


async def empty_tables() -> None:
    """The ``db`` fixture empties tables after a test; examples need it before."""
    for table in TABLES:
        await connection().execute_query(f"DELETE FROM {table}")


async def enrich_pending(community: Community) -> None:
    await reattribute_members(community.id, await pending_attribution(community.id))


async def play(scenario: Scenario) -> tuple[Community, list[Company]]:
    community = await f.community(scenario.zone)
    companies = [
        await f.company(community, f"Company {i}", list(periods))
        for i, periods in enumerate(scenario.periods)
    ]
    for operation in scenario.operations:
        if isinstance(operation, Link):
            target = operation.company
            change = await link_member(
                community.id,
                operation.member,
                None if target is None else companies[target].id,
            )
            if operation.enrich:
                await reattribute_members(community.id, [change.member.id])
        elif isinstance(operation, Views):
            result = await record_page_views(
                community, [_page_view(v) for v in operation.batch]
            )
            assert result.errors == []
        elif isinstance(operation, Contributions):
            result = await record_contributions(
                community,
                [
                    ContributionInput(c.message_id, c.at, c.member, c.kind)
                    for c in operation.batch
                ],
            )
            assert result.errors == []
        else:
            await enrich_pending(community)
    await enrich_pending(community)
    return community, companies


def _page_view(view: View) -> PageViewInput:
    return PageViewInput(
        message_id=view.message_id,
        occurred_at=view.at,
        path="/t/a-topic",
        member_external_id=view.member,
        anonymous_id=None if view.member else f"anon-{view.message_id}",
    )


async def read_metrics(
    community: Community,
    companies: list[Company],
    ranges: tuple[tuple[date, date], ...],
) -> dict[Any, Any]:
    """What the domain answers, in the recount's shape."""
    ids = [c.id for c in companies]
    months = await monthly_activity(community, MONTHS[0], MONTHS[-1])
    seen = await last_seen(community, ids)
    result: dict[Any, Any] = {
        "months": [(m.month, m.active, m.total) for m in months],
        "last seen": [seen[i] for i in ids],
    }
    for first, last in ranges:
        s = await engagement_summary(community, first, last)
        found = await customer_engagement(community, first, last, ids)
        result[first, last] = {
            "summary": (
                s.active,
                s.total,
                s.page_views,
                s.unique_visitors,
                s.anonymous_page_views,
                [(m.month, m.active, m.total) for m in s.months],
            ),
            "customers": [
                (e.page_views, e.unique_visitors, e.contributions)
                for e in (found[i] for i in ids)
            ],
        }
    return result


# Stories that random drawing seldom tells, pinned.
LATER_VIEWER_LEAVES = Scenario(
    # The company's latest view in February leaves with m0: m1's earlier view
    # of that month must become its last seen.
    "UTC",
    (((None, None),), ((None, None),)),
    (
        Link("m0", 0, True),
        Link("m1", 0, True),
        Views(
            (
                View("view-0", "m0", utc("2024-02-10T12:00")),
                View("view-1", "m1", utc("2024-02-05T12:00")),
            )
        ),
        Link("m0", 1, True),
    ),
    ((date(2024, 2, 1), date(2024, 2, 29)),),
)
VIEWS_BEFORE_ENRICHMENT = Scenario(
    # Views arrive while re-links wait for their enrichment, in months with
    # history and in new ones, at New York's local month edges.
    "America/New_York",
    (((None, None),), ((None, utc("2024-03-01T05:00")),)),
    (
        Link("m0", 0, True),
        Views((View("view-0", "m0", utc("2024-02-01T04:59")),)),  # 31 January
        Link("m0", 1, False),
        Views(
            (
                View("view-1", "m0", utc("2024-01-20T12:00")),
                View("view-2", "m0", utc("2024-03-01T05:00")),  # 1 March
                View("view-0", "m0", utc("2024-03-20T12:00")),  # a resend
            )
        ),
        Link("m0", 0, False),
        Views((View("view-3", None, utc("2024-03-02T12:00")),)),
        CatchUp(),
        Link("m0", 1, False),
    ),
    ((date(2024, 1, 15), date(2024, 3, 1)), (date(2024, 1, 31), date(2024, 1, 31))),
)


# Shrinking a failure may take Hypothesis minutes; let it report its example.
@pytest.mark.timeout(600)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
@example(scenario=LATER_VIEWER_LEAVES)
@example(scenario=VIEWS_BEFORE_ENRICHMENT)
async def test_metrics_equal_a_naive_recount(db, scenario):
    """Monthly activity, range summaries, engagement and last seen, any story."""
    await empty_tables()
    expected = Recount(scenario).metrics(scenario.ranges)

    community, companies = await play(scenario)
    actual = await read_metrics(community, companies, scenario.ranges)

    assert actual == expected
