"""A deterministic synthetic community, streamed to CSV files for bench/load.py.

Companies, customer periods and members are planned in memory (thousands of
rows); page views and contributions are written one local day at a time, so
memory stays bounded whatever ``--views`` is. The same seed gives the same
files, byte for byte.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bench.common import COMMUNITY_NAME, data_dir

KINDS = ("topic", "reply", "reaction", "solution", "idea")
KIND_WEIGHTS = (12, 30, 45, 5, 8)
WEEKDAY_FACTORS = (1.0, 1.05, 1.05, 1.0, 0.9, 0.35, 0.3)  # Monday first
TOPICS = 20_000
ANONYMOUS_IDS = 300_000
HEAVY_MEMBER_ID = 1

_SYLLABLES = (
    *("ac", "br", "cor", "dyn", "el", "fal", "gra", "hel", "ion", "jun"),
    *("kel", "lum", "mar", "nov", "orb", "pix", "quo", "ros", "sol", "tor"),
)
_ENDINGS = ("a", "ex", "is", "on", "um", "ia", "or", "ix", "us", "ar", "io", "en")
_SUFFIXES = ("Inc", "Labs", "Systems", "Group", "Software", "Cloud", "Data", "AG")


@dataclass(frozen=True)
class Config:
    """Sizes and shape of the generated community."""

    seed: int = 20241201
    companies: int = 5_000
    customers: int = 4_000
    churners: int = 300
    winbacks: int = 100
    new_customers: int = 600
    dormant: int = 400
    members: int = 100_000
    linked_share: float = 0.7
    views: int = 10_000_000
    anonymous_share: float = 0.15
    heavy_member_views: int = 100_000
    contribution_share: float = 0.005
    lurker_company_share: float = 0.35
    contributor_share: float = 0.25
    first_month: str = "2024-12"
    months: int = 24
    timezone: str = "America/New_York"
    lurker_threshold: int = 10


@dataclass(slots=True)
class CompanyPlan:
    id: int
    name: str
    periods: list[tuple[datetime | None, datetime | None]] = field(default_factory=list)
    weight: float = 1.0
    lurker: bool = False
    quiet_from: int | None = None  # month index from which its members stop


@dataclass(slots=True)
class MemberPlan:
    id: int
    company_id: int | None
    weight: float
    joined: int  # day index
    contributor: bool


@dataclass(frozen=True)
class Day:
    day: date
    start: int  # UTC epoch seconds of local midnight
    length: int  # seconds in this local day (23, 24 or 25 hours)
    month: int  # month index


@dataclass
class Pools:
    """Members to draw from in one month, with cumulative weights."""

    ids: list[int]
    cum: list[float]
    contributor_ids: list[int]
    contributor_cum: list[float]


# -- calendar -------------------------------------------------------------


def month_starts(config: Config) -> list[date]:
    """The first local day of every month, plus the day after the last month."""
    year, month = (int(part) for part in config.first_month.split("-"))
    starts = []
    for _ in range(config.months + 1):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def local_midnight(day: date, zone: ZoneInfo) -> int:
    """UTC epoch seconds at which ``day`` begins in ``zone``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def calendar(config: Config) -> list[Day]:
    """Every local day of the generated months."""
    zone = ZoneInfo(config.timezone)
    starts = month_starts(config)
    days = []
    for index in range(config.months):
        day = starts[index]
        while day < starts[index + 1]:
            start = local_midnight(day, zone)
            end = local_midnight(day + timedelta(days=1), zone)
            days.append(Day(day, start, end - start, index))
            day += timedelta(days=1)
    return days


def day_weights(rng: random.Random, days: list[Day]) -> list[float]:
    """Relative traffic per day: weekdays, slow growth, a holiday dip, noise."""
    weights = []
    for index, day in enumerate(days):
        growth = 0.8 + 0.4 * index / max(1, len(days) - 1)
        month_day = (day.day.month, day.day.day)
        holiday = 0.5 if month_day >= (12, 24) or month_day == (1, 1) else 1.0
        noise = rng.uniform(0.9, 1.1)
        weights.append(WEEKDAY_FACTORS[day.day.weekday()] * growth * holiday * noise)
    return weights


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, exactly."""
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    short = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for index in by_remainder[:short]:
        counts[index] += 1
    return counts


# -- companies --------------------------------------------------------------


def company_names(rng: random.Random, count: int) -> list[str]:
    """Distinct, pronounceable company names."""
    parts = itertools.product(_SYLLABLES, _SYLLABLES, _ENDINGS)
    stems = [(a + b + c).title() for a, b, c in parts if a != b]
    names = [f"{stem} {suffix}" for stem in stems for suffix in _SUFFIXES]
    if count > len(names):
        names += [f"Company {n}" for n in range(count - len(names))]
    return rng.sample(names, count)


def instant_in(rng: random.Random, days: list[Day], first: int, last: int) -> datetime:
    """A random whole-second instant within local days ``first..last``."""
    day = days[rng.randint(first, last)]
    return datetime.fromtimestamp(day.start + rng.randrange(day.length), UTC)


def plan_companies(rng: random.Random, config: Config, days: list[Day]):
    """Companies with names, sizes, lurker flags and customer periods."""
    names = company_names(rng, config.companies)
    companies = [CompanyPlan(i + 1, names[i]) for i in range(config.companies)]
    for rank, company in enumerate(rng.sample(companies, len(companies)), start=1):
        company.weight = 1 / rank**0.9
        company.lurker = rng.random() < config.lurker_company_share

    order = rng.sample(companies, len(companies))
    customers = order[: config.customers]
    for company in order[config.customers :]:
        company.weight *= 0.3
    roles = _customer_periods(rng, config, days, customers)
    return companies, roles


def _customer_periods(rng, config, days, customers) -> dict[str, list[int]]:
    """Give every customer its periods; return the ids of each special group."""
    starts = [i for i, d in enumerate(days) if d.day.day == 1]
    new = customers[: config.new_customers]
    existing = customers[config.new_customers :]
    churners = existing[: config.churners]
    dormant = existing[config.churners : config.churners + config.dormant]

    for company in new:
        company.periods = [(instant_in(rng, days, 31, len(days) - 120), None)]
    for company in existing:
        company.periods = [(None, None)]
    for index, company in enumerate(churners):
        company.periods = [(None, _churn_instant(rng, days, starts, index))]
    won_back = []
    for company in churners[: config.winbacks]:
        end = company.periods[0][1]
        assert end is not None
        comeback = end + timedelta(days=rng.randint(20, 200), hours=rng.randint(0, 23))
        if comeback < datetime.fromtimestamp(days[-1].start, UTC):
            company.periods.append((comeback, None))
            won_back.append(company.id)
    for company in dormant:
        company.quiet_from = rng.randint(config.months - 8, config.months - 2)
    return {
        "new_customers": [c.id for c in new],
        "churners": [c.id for c in churners],
        "won_back": won_back,
        "dormant": [c.id for c in dormant],
        "steady": [c.id for c in existing[config.churners + config.dormant :]],
    }


def _churn_instant(rng, days: list[Day], starts: list[int], index: int) -> datetime:
    """A churn instant; every tenth falls exactly on a local month start."""
    if index % 10 == 0:
        day = days[rng.choice(starts[2:])]
        return datetime.fromtimestamp(day.start, UTC)
    return instant_in(rng, days, 60, len(days) - 1)


# -- members ----------------------------------------------------------------


def plan_members(
    rng: random.Random, config: Config, companies: list[CompanyPlan], heavy: int
) -> list[MemberPlan]:
    """Members with heavy-tailed activity; 70% linked to Zipf-sized companies."""
    company_ids = [c.id for c in companies]
    company_cum = list(itertools.accumulate(c.weight for c in companies))
    linked = round(config.members * config.linked_share)
    days = _day_count(config)
    members = [MemberPlan(HEAVY_MEMBER_ID, heavy, 0.0, 0, False)]
    for member_id in range(2, config.members + 1):
        company_id = None
        if member_id <= linked:
            company_id = rng.choices(company_ids, cum_weights=company_cum)[0]
        weight = min(rng.paretovariate(1.3), 2_000.0)
        joined = 0 if rng.random() < 0.6 else rng.randrange(days)
        contributor = rng.random() < config.contributor_share
        members.append(MemberPlan(member_id, company_id, weight, joined, contributor))
    return members


def _day_count(config: Config) -> int:
    starts = month_starts(config)
    return (starts[-1] - starts[0]).days


def month_factors(
    companies: list[CompanyPlan], bounds: tuple[datetime, datetime], month: int
) -> dict[int, float]:
    """How active each company's members are in one month."""
    start, end = bounds
    factors = {}
    for company in companies:
        if company.quiet_from is not None and month >= company.quiet_from:
            factors[company.id] = 0.0
        elif not company.periods:
            factors[company.id] = 0.4
        elif any(
            (s is None or s < end) and (e is None or e > start)
            for s, e in company.periods
        ):
            factors[company.id] = 1.0
        else:
            factors[company.id] = 0.1
    return factors


def month_pools(
    members: list[MemberPlan],
    companies: list[CompanyPlan],
    factors: dict[int, float],
    days: tuple[int, int],
) -> Pools:
    """The weighted members of one month, for views and for contributions."""
    first_day, last_day = days
    lurkers = {c.id for c in companies if c.lurker}
    ids, weights, contributor_ids, contributor_weights = [], [], [], []
    for member in members[1:]:
        if member.joined > last_day:
            continue
        factor = factors[member.company_id] if member.company_id else 0.6
        weight = member.weight * factor * (0.5 if member.joined > first_day else 1)
        if weight <= 0:
            continue
        ids.append(member.id)
        weights.append(weight)
        if member.contributor and member.company_id not in lurkers:
            contributor_ids.append(member.id)
            contributor_weights.append(weight)
    return Pools(
        ids,
        list(itertools.accumulate(weights)),
        contributor_ids,
        list(itertools.accumulate(contributor_weights)),
    )


# -- writing ------------------------------------------------------------------


def utc_text(instant: datetime | None) -> str:
    """An instant as the project stores it: ``YYYY-MM-DD HH:MM:SS+00:00``."""
    return "" if instant is None else str(instant.astimezone(UTC))


class Stamps:
    """Fast ``YYYY-MM-DD HH:MM:SS+00:00`` text for whole-second UTC instants."""

    def __init__(self) -> None:
        self._times = [
            f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00"
            for s in range(86_400)
        ]
        self._dates: dict[int, str] = {}

    def text(self, epoch: int) -> str:
        day, second = divmod(epoch, 86_400)
        prefix = self._dates.get(day)
        if prefix is None:
            prefix = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
            self._dates[day] = prefix
        return prefix + self._times[second]


def second_of_day(rng: random.Random, length: int) -> int:
    """An offset into a local day, busiest around lunch time."""
    if rng.random() < 0.75:
        fraction = min(max(rng.gauss(0.55, 0.14), 0.0), 0.999999)
    else:
        fraction = rng.random()
    return int(fraction * length)


def write_static(
    out: Path, companies: list[CompanyPlan], members: list[MemberPlan]
) -> None:
    """companies.csv, customer_periods.csv and members.csv."""
    with (out / "companies.csv").open("w") as f:
        f.write("id,crm_id,name\n")
        for c in companies:
            f.write(f"{c.id},ACC-{c.id:06d},{c.name}\n")
    with (out / "customer_periods.csv").open("w") as f:
        f.write("company_id,starts_at,ends_at\n")
        for c in companies:
            for start, end in c.periods:
                f.write(f"{c.id},{utc_text(start)},{utc_text(end)}\n")
    with (out / "members.csv").open("w") as f:
        f.write("id,external_id,company_id\n")
        for m in members:
            f.write(f"{m.id},member-{m.id:06d},{m.company_id or ''}\n")


@dataclass
class Writers:
    views: TextIO
    contributions: TextIO
    stamps: Stamps
    next_view: int = 0
    next_contribution: int = 0


def write_day_views(
    rng: random.Random, w: Writers, day: Day, pools: Pools, counts: tuple[int, ...]
) -> None:
    """One local day of page views, in time order."""
    members, heavy, anonymous = counts
    picked = rng.choices(pools.ids, cum_weights=pools.cum, k=members)
    picked += [HEAVY_MEMBER_ID] * heavy + [0] * anonymous
    base = 1 << 20
    keys = sorted(
        (day.start + second_of_day(rng, day.length)) * base + member
        for member in picked
    )
    topics = rng.choices(range(TOPICS), cum_weights=_TOPIC_CUM, k=len(keys))
    lines = []
    for key, topic in zip(keys, topics, strict=True):
        epoch, member = divmod(key, base)
        w.next_view += 1
        who = f"{member}," if member else f",anon-{rng.randrange(ANONYMOUS_IDS)}"
        stamp = w.stamps.text(epoch)
        lines.append(f"{w.next_view},{who},{stamp},/t/topic-{topic},pv-{w.next_view}\n")
    w.views.write("".join(lines))


def write_day_contributions(
    rng: random.Random, w: Writers, day: Day, pools: Pools, count: int
) -> None:
    """One local day of contributions, in time order."""
    if not count or not pools.contributor_ids:
        return
    picked = rng.choices(
        pools.contributor_ids, cum_weights=pools.contributor_cum, k=count
    )
    kinds = rng.choices(KINDS, weights=KIND_WEIGHTS, k=count)
    rows = sorted(
        (day.start + second_of_day(rng, day.length), member, kind)
        for member, kind in zip(picked, kinds, strict=True)
    )
    for epoch, member, kind in rows:
        w.next_contribution += 1
        n = w.next_contribution
        w.contributions.write(f"{n},{member},{kind},{w.stamps.text(epoch)},c-{n}\n")


_TOPIC_CUM = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(TOPICS)))


# -- the whole run -------------------------------------------------------------


@dataclass
class Plan:
    config: Config
    days: list[Day]
    companies: list[CompanyPlan]
    members: list[MemberPlan]
    roles: dict[str, list[int]]
    heavy_company: int
    relink_company: int


def plan(config: Config) -> Plan:
    """Everything but the activity: calendar, companies, periods, members."""
    rng = random.Random(config.seed)
    days = calendar(config)
    companies, roles = plan_companies(rng, config, days)
    steady = roles["steady"]
    heavy_company, relink_company = steady[len(steady) // 3], steady[len(steady) // 2]
    members = plan_members(rng, config, companies, heavy_company)
    return Plan(config, days, companies, members, roles, heavy_company, relink_company)


def write_activity(p: Plan, out: Path) -> dict[str, int]:
    """page_views.csv and contributions.csv, one month of pools at a time."""
    rng = random.Random(p.config.seed + 1)
    c = p.config
    weights = day_weights(rng, p.days)
    totals = allocate(c.views, weights)
    heavy = allocate(min(c.heavy_member_views, c.views // 2), weights)
    anonymous = _anonymous_split(totals, round(c.views * c.anonymous_share))
    contributions = allocate(round(c.views * c.contribution_share), weights)

    with (
        (out / "page_views.csv").open("w") as views,
        (out / "contributions.csv").open("w") as contribs,
    ):
        views.write("id,member_id,anonymous_id,occurred_at,path,message_id\n")
        contribs.write("id,member_id,kind,occurred_at,message_id\n")
        w = Writers(views, contribs, Stamps())
        for month, indexes in _days_by_month(p.days):
            pools = _pools_for(p, month, indexes)
            for i in indexes:
                counts = (totals[i] - heavy[i] - anonymous[i], heavy[i], anonymous[i])
                write_day_views(rng, w, p.days[i], pools, counts)
                write_day_contributions(rng, w, p.days[i], pools, contributions[i])
            print(
                f"  month {month + 1:2d}/{c.months}: {w.next_view:,} views", flush=True
            )
    return {"views": w.next_view, "contributions": w.next_contribution}


def _anonymous_split(totals: list[int], anonymous: int) -> list[int]:
    return allocate(anonymous, [float(t) for t in totals])


def _days_by_month(days: list[Day]):
    for month, group in itertools.groupby(
        range(len(days)), key=lambda i: days[i].month
    ):
        yield month, list(group)


def _pools_for(p: Plan, month: int, indexes: list[int]) -> Pools:
    first, last = p.days[indexes[0]], p.days[indexes[-1]]
    bounds = (
        datetime.fromtimestamp(first.start, UTC),
        datetime.fromtimestamp(last.start + last.length, UTC),
    )
    factors = month_factors(p.companies, bounds, month)
    return month_pools(p.members, p.companies, factors, (indexes[0], indexes[-1]))


def write_meta(p: Plan, out: Path, written: dict[str, int]) -> None:
    """meta.json: the configuration and what the benchmarks need to know."""
    starts = month_starts(p.config)
    meta = {
        "config": asdict(p.config),
        "community": {
            "name": COMMUNITY_NAME,
            "timezone": p.config.timezone,
            "lurker_threshold": p.config.lurker_threshold,
        },
        "first_day": starts[0].isoformat(),
        "last_day": (starts[-1] - timedelta(days=1)).isoformat(),
        "companies": len(p.companies),
        "customers": p.config.customers,
        "members": len(p.members),
        "linked_members": sum(1 for m in p.members if m.company_id),
        "roles": {name: len(ids) for name, ids in p.roles.items()},
        "heavy_member": {
            "id": HEAVY_MEMBER_ID,
            "external_id": f"member-{HEAVY_MEMBER_ID:06d}",
            "company_id": p.heavy_company,
            "relink_company_id": p.relink_company,
            "views": min(p.config.heavy_member_views, p.config.views // 2),
        },
        **written,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def generate(config: Config, out: Path) -> None:
    """Write the whole data set to ``out``."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    p = plan(config)
    write_static(out, p.companies, p.members)
    print(f"  planned {len(p.companies):,} companies, {len(p.members):,} members")

    written = write_activity(p, out)
    write_meta(p, out, written)
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s: {written}")


def main() -> None:
    """Command line: ``python -m bench.generate [--views N] [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=Config.views)
    parser.add_argument("--members", type=int, default=Config.members)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--out", type=Path, help="default: bench/data/views-N")
    args = parser.parse_args()
    config = Config(seed=args.seed, views=args.views, members=args.members)
    generate(config, args.out or data_dir(args.views))


if __name__ == "__main__":
    main()
