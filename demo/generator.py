"""A deterministic demo world: accounts with a status history, their contacts,
members, and months of page views and contributions as Segment messages.

The same seed and size always give the same world, so a test can recompute
every number the demo prints from this module's output alone.
"""

from __future__ import annotations

import itertools
import math
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.periods import day_start
from domain.salesforce_ids import canonical_id

FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com")
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Massive",
    "Dynamic",
    "Aperture",
    "Black",
    "Mesa",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Nakatomi",
    "Virtucon",
    "Monarch",
    "Zorg",
    "Ingen",
    "Tessier",
    "Ashpool",
    "Yoyodyne",
    "Pied",
    "Piper",
    "Dunder",
    "Mifflin",
    "Sterling",
    "Cooper",
    "Prestige",
    "Worldwide",
    "Bluth",
    "Krusty",
    "Duff",
    "Gekko",
    "Blue",
    "Sun",
    "Weyland",
    "Yutani",
    "Stratton",
    "Sirius",
    "Cybernetics",
    "Octan",
    "Zephyr",
    "Québec",
    "Müller",
    "Søndergaard",
    "Łukasz",
    "Niño",
]
SUFFIXES = ("Inc", "GmbH", "Ltd", "Labs", "Systems", "Group", "AG", "SA", "Software")
CONTRIBUTION_EVENTS = {
    "Topic Created": 0.25,
    "Reply Posted": 0.45,
    "Reaction Added": 0.2,
    "Solution Accepted": 0.05,
    "Idea Submitted": 0.05,
}


@dataclass(frozen=True)
class Size:
    accounts: int
    members: int
    months: int
    views_per_member_month: float


SIZES = {
    "small": Size(accounts=2_000, members=2_000, months=12, views_per_member_month=2.5),
    "large": Size(
        accounts=5_000, members=20_000, months=24, views_per_member_month=3.0
    ),
}


@dataclass
class Account:
    id: str
    name: str
    website: str
    # Status changes in order: (instant or None for "since before any record", status).
    history: list[tuple[datetime | None, str]] = field(default_factory=list)

    def status_at(self, instant: datetime) -> str:
        status = "Prospect"
        for at, value in self.history:
            if at is None or at <= instant:
                status = value
        return status


@dataclass
class Member:
    external_id: str
    email: str
    account_id: str | None
    activity: float
    lurker: bool
    # A later ``group`` call: (instant, account id) — a late link or a relink.
    regroup: tuple[datetime, str] | None = None

    @property
    def final_account(self) -> str | None:
        return self.regroup[1] if self.regroup else self.account_id


@dataclass
class World:
    start: date
    months: int
    accounts: list[Account]
    contacts: list[tuple[str, str, str]]  # (contact id, account id, e-mail)
    members: list[Member]
    timezone: str = "America/Chicago"

    @property
    def end(self) -> datetime:
        """The world's last instant (excluded): local midnight after its last month."""
        month = self.start.month - 1 + self.months
        first = date(self.start.year + month // 12, month % 12 + 1, 1)
        return day_start(first, self.zone)

    def instant(self, fraction: float) -> datetime:
        begin = day_start(self.start, self.zone)
        return begin + (self.end - begin) * fraction

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def days(self) -> int:
        return (self.end - self.instant(0)).days

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).astimezone(self.zone).date()

    @property
    def last_month(self) -> date:
        return self.last_day.replace(day=1)

    def day_of(self, timestamp: str) -> int:
        """How many days into the world an ISO instant is."""
        return (datetime.fromisoformat(timestamp) - self.instant(0)).days

    def local_midnight(self, fraction: float) -> datetime:
        """The start, in the community's zone, of the day ``fraction`` into the world."""
        return day_start(self.instant(fraction).astimezone(self.zone).date(), self.zone)


def _salesforce_id(rng: random.Random, prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return canonical_id(prefix + "".join(rng.choice(alphabet) for _ in range(12)))


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
        if name not in used:
            used.add(name)
            return name


def _history(
    rng: random.Random, world: World, kind: str
) -> list[tuple[datetime | None, str]]:
    """Status changes of one account: a customer, a churn, a win-back or a prospect."""
    if kind == "prospect":
        return [(None, "Prospect")]
    if kind == "new":
        return [
            (None, "Prospect"),
            (world.local_midnight(rng.uniform(0.1, 0.8)), "Customer"),
        ]
    history: list[tuple[datetime | None, str]] = [(None, "Customer")]
    if kind in {"churn", "winback"}:
        churned = rng.uniform(0.15, 0.7)
        history.append((world.local_midnight(churned), "Former Customer"))
        if kind == "winback":
            back = churned + rng.uniform(0.1, 0.25)
            history.append((world.local_midnight(back), "Customer"))
    return history


def _accounts(rng: random.Random, world: World, count: int) -> list[Account]:
    kinds = ["customer"] * 70 + ["churn"] * 10 + ["winback"] * 4 + ["new"] * 6
    kinds += ["prospect"] * 10
    used: set[str] = set()
    accounts = []
    for _ in range(count):
        name = _name(rng, used)
        slug = "".join(c for c in name.lower() if c.isascii() and c.isalnum())[:24]
        account = Account(
            _salesforce_id(rng, "001"), name, f"https://www.{slug}.example"
        )
        account.history = _history(rng, world, rng.choice(kinds))
        accounts.append(account)
    return accounts


def _members(rng: random.Random, world: World, count: int) -> tuple[list[Member], list]:
    """Members, heavy-tailed by company and by activity, and the CRM's contacts."""
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(world.accounts))]
    lurking = {a.id for a in world.accounts if rng.random() < 0.15}
    members, contacts = [], []
    for index in range(count):
        account = rng.choices(world.accounts, weights)[0]
        domain = account.website.removeprefix("https://www.")
        personal = rng.random() < 0.12
        email = f"user{index}@{rng.choice(FREE_MAIL) if personal else domain}"
        if not personal:
            contacts.append((_salesforce_id(rng, "003"), account.id, email))
        member = Member(
            external_id=f"member-{index:06d}",
            email=email,
            account_id=None if personal else account.id,
            activity=rng.lognormvariate(0, 1.1),
            lurker=account.id in lurking,
        )
        if personal and rng.random() < 0.6:  # linked late, by a group call
            member.regroup = (world.instant(rng.uniform(0.5, 0.95)), account.id)
        elif not personal and rng.random() < 0.03:  # moved to another company
            member.regroup = (
                world.instant(rng.uniform(0.3, 0.95)),
                rng.choice(world.accounts).id,
            )
        members.append(member)
    return members, contacts


def build_world(size: str = "small", seed: int = 7, today: date | None = None) -> World:
    """The demo world for ``size``, ending with the last full month before ``today``."""
    spec = SIZES[size]
    today = today or date.today()
    last = date(today.year, today.month, 1)
    index = last.year * 12 + last.month - 1 - spec.months
    world = World(date(index // 12, index % 12 + 1, 1), spec.months, [], [], [])
    rng = random.Random(seed)
    world.accounts = _accounts(rng, world, spec.accounts)
    world.members, world.contacts = _members(rng, world, spec.members)
    return world


def page_views(world: World, seed: int = 11) -> Iterator[dict]:
    """Every page view and contribution of the world, as Segment messages, in time order."""
    rng = random.Random(seed)
    ids = itertools.count()
    per_month = next(s for s in SIZES.values() if s.months == world.months)
    days = (world.end - world.instant(0)).days
    for day in range(days):
        start = world.instant(0) + timedelta(days=day)
        weekday = 1.0 if start.weekday() < 5 else 0.35
        rate = weekday * per_month.views_per_member_month / 30
        yield from _day(rng, ids, world, start, rate)


def _day(
    rng: random.Random, ids: Iterator[int], world: World, start: datetime, rate: float
) -> Iterator[dict]:
    """One day, heavier on weekdays; about one view in six is anonymous."""
    for member in world.members:
        count = _poisson(rng, member.activity * rate)
        for _ in range(count):
            at = start + timedelta(seconds=rng.randrange(86_400))
            yield _page(next(ids), member.external_id, at, rng)
            if not member.lurker and rng.random() < 0.04:
                yield _track(
                    next(ids), member.external_id, at + timedelta(seconds=30), rng
                )
        if count and rng.random() < 0.18:
            yield _page(
                next(ids), None, start + timedelta(seconds=rng.randrange(86_400)), rng
            )


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _page(number: int, user: str | None, at: datetime, rng: random.Random) -> dict:
    topic = rng.randrange(400)
    message = {
        "type": "page",
        "messageId": f"demo-page-{number}",
        "timestamp": at.isoformat(),
        "properties": {"path": f"/t/topic-{topic}", "title": f"Topic {topic}"},
    }
    if user:
        message["userId"] = user
    else:
        message["anonymousId"] = f"anon-{rng.randrange(50_000)}"
    return message


def _track(number: int, user: str, at: datetime, rng: random.Random) -> dict:
    events, weights = zip(*CONTRIBUTION_EVENTS.items(), strict=True)
    return {
        "type": "track",
        "messageId": f"demo-track-{number}",
        "userId": user,
        "event": rng.choices(events, weights)[0],
        "timestamp": at.isoformat(),
    }
