"""Dashboard query benchmark: the project's answers and timings next to DuckDB's.

Each figure runs the project's own domain functions on the loaded database and
the DuckDB reference on the raw views file, checks that both give the same
answer, and reports warm medians over ``--runs`` interleaved runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH,
    COMMUNITY_NAME,
    backend_of,
    check_local,
    data_dir,
    median,
    read_meta,
    timed,
    timed_async,
    write_results,
)
from bench.reference import Reference
from domain import answers
from domain.attribution import reattribute_members
from domain.customers import ActivityFilter, CustomerOrder, list_customers
from domain.db import close_database, fetch, open_database
from domain.members import link_member, link_members, pending_attribution
from domain.metrics import (
    company_traffic,
    company_visitors,
    customer_engagement,
    engagement_summary,
    last_seen,
    monthly_activity,
)
from domain.models import Community, Job, JobStatus, LinkSource
from workers import arq_queue
from workers.queue import enqueue_enrichment

# (milliseconds, minimum DuckDB/project ratio) per backend and figure.
TARGETS: dict[str, dict[str, tuple[float, float | None]]] = {
    "postgres": {
        "monthly": (30, 5),
        "summary": (60, 2),
        "inactive": (20, None),
        "relink_one": (500, None),
        "relink_batch": (10_000, None),
    },
    "sqlite": {
        "monthly": (100, None),
        "summary": (100, None),
        "inactive": (100, None),
    },
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Figure:
    """One benchmarked figure: medians, targets and whether the answers agree."""

    key: str
    title: str
    project_ms: float
    duckdb_ms: float | None = None
    parts_ms: dict[str, float] = field(default_factory=dict)
    target_ms: float | None = None
    target_ratio: float | None = None
    mismatch: str | None = None
    notes: str = ""
    answer: Any = None

    @property
    def ratio(self) -> float | None:
        if self.duckdb_ms is None or not self.project_ms:
            return None
        return self.duckdb_ms / self.project_ms

    @property
    def verdict(self) -> str:
        if self.mismatch:
            return "MISMATCH"
        if self.target_ms is None:
            return "-"
        ok = self.project_ms <= self.target_ms
        if self.target_ratio is not None:
            ok = ok and (self.ratio or 0) >= self.target_ratio
        return "ok" if ok else "MISSED"


@dataclass(frozen=True)
class Periods:
    """The dates the figures ask about, all inside the generated data."""

    first_month: date
    last_month: date
    range_first: date
    range_last: date
    data_first: date
    data_last: date


def periods_of(meta: dict[str, Any]) -> Periods:
    """24 months; a 12-month range off the month boundaries; the last month."""
    first, last = (
        date.fromisoformat(meta["first_day"]),
        date.fromisoformat(meta["last_day"]),
    )
    range_first = _mid_month(first, 3)
    range_last = _mid_month(first, 15) - timedelta(days=1)
    return Periods(first, last.replace(day=1), range_first, range_last, first, last)


def _mid_month(first: date, months: int) -> date:
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 15)


# -- running and comparing ------------------------------------------------------


def mismatch_of(project: Any, reference: Any) -> str | None:
    """None when the answers agree, else a short description of the first gap."""
    if project == reference:
        return None
    if isinstance(project, dict) and isinstance(reference, dict):
        for key in sorted(set(project) | set(reference), key=str):
            if project.get(key) != reference.get(key):
                return (
                    f"{key!r}: project {project.get(key)!r}"
                    f" != duckdb {reference.get(key)!r}"
                )
    if isinstance(project, list) and isinstance(reference, list):
        for index, (p, r) in enumerate(zip(project, reference, strict=False)):
            if p != r:
                return f"[{index}]: project {p!r} != duckdb {r!r}"
        return f"lengths differ: project {len(project)} != duckdb {len(reference)}"
    return f"project {project!r} != duckdb {reference!r}"


def shout(message: str) -> None:
    """A mismatch is printed so that nobody misses it."""
    bar = "!" * 78
    print(f"\n{bar}\n!!! MISMATCH: {message}\n{bar}\n", file=sys.stderr, flush=True)


Project = Callable[[dict[str, float]], Awaitable[Any]]


async def compare_and_time(
    key: str, title: str, project: Project, reference: Callable[[], Any], runs: int
) -> Figure:
    """Warm up both, compare answers, then time ``runs`` interleaved runs."""
    answer = await project({})
    expected = reference()
    problem = mismatch_of(answer, expected)
    if problem:
        shout(f"{title}: {problem}")

    project_ms, duck_ms, parts = [], [], []
    for _ in range(runs):
        split: dict[str, float] = {}
        answers.forget()  # time the computation, not a remembered answer
        elapsed, _ = await timed_async(lambda split=split: project(split))
        project_ms.append(elapsed)
        parts.append(split)
        duck_ms.append(timed(reference)[0])
    return Figure(
        key,
        title,
        round(median(project_ms), 2),
        round(median(duck_ms), 2),
        parts_ms={
            name: round(median([p[name] for p in parts]), 2) for name in parts[0]
        },
        mismatch=problem,
        answer=answer,
    )


async def part(split: dict[str, float], name: str, work: Awaitable[Any]) -> Any:
    """Await ``work``, adding its milliseconds to ``split[name]``."""
    elapsed, result = await timed_async(lambda: work)
    split[name] = split.get(name, 0.0) + elapsed
    return result


def micros(instant: datetime | None) -> int | None:
    """An instant as integer microseconds since the epoch."""
    if instant is None:
        return None
    return (instant - EPOCH) // timedelta(microseconds=1)


# -- the dashboard figures -----------------------------------------------------------


async def monthly_figure(
    community: Community, ref: Reference, p: Periods, runs: int
) -> Figure:
    """Monthly activity for the 24 generated months."""

    async def project(split: dict[str, float]) -> list[tuple[str, int, int]]:
        months = await monthly_activity(community, p.first_month, p.last_month)
        return [(m.month.isoformat(), m.active, m.total) for m in months]

    return await compare_and_time(
        "monthly",
        f"monthly activity {p.first_month:%Y-%m}..{p.last_month:%Y-%m}",
        project,
        lambda: ref.monthly(p.first_month, p.last_month),
        runs,
    )


async def summary_figure(
    community: Community, ref: Reference, p: Periods, runs: int
) -> Figure:
    """Range summary, first 50 customers by page views, and their engagement."""
    first, last = p.range_first, p.range_last

    async def project(split: dict[str, float]) -> dict[str, Any]:
        summary = await part(
            split, "summary", engagement_summary(community, first, last)
        )
        page, _ = await part(
            split,
            "list_customers",
            list_customers(community, first, last, order=CustomerOrder.PAGE_VIEWS),
        )
        ids = [row.company_id for row in page.rows]
        engagement = await part(
            split, "engagement", customer_engagement(community, first, last, ids)
        )
        return _summary_answer(summary, page, engagement)

    def reference() -> dict[str, Any]:
        top = ref.top_customers(first, last, 50)
        ids = [company_id for company_id, _ in top["rows"]]
        return {
            "summary": ref.summary(first, last),
            "top": top,
            "engagement": ref.engagement(first, last, ids),
        }

    return await compare_and_time(
        "summary",
        f"summary + first 50 by views + engagement {first}..{last}",
        project,
        reference,
        runs,
    )


def _summary_answer(summary, page, engagement) -> dict[str, Any]:
    return {
        "summary": {
            "active": summary.active,
            "total": summary.total,
            "page_views": summary.page_views,
            "anonymous_page_views": summary.anonymous_page_views,
            "unique_visitors": summary.unique_visitors,
            "months": [
                (m.month.isoformat(), m.active, m.total) for m in summary.months
            ],
        },
        "top": {
            "total_count": page.total_count,
            "rows": [(row.company_id, -row.sort_key[0]) for row in page.rows],
        },
        "engagement": {
            cid: (e.page_views, e.unique_visitors, e.contributions, e.lurker)
            for cid, e in engagement.items()
        },
    }


async def inactive_figure(
    community: Community, ref: Reference, p: Periods, runs: int
) -> Figure:
    """First page of the last month's inactive customers, with last seen."""
    first, last = p.last_month, p.data_last

    async def project(split: dict[str, float]) -> dict[str, Any]:
        page, _ = await part(
            split,
            "list_customers",
            list_customers(community, first, last, activity=ActivityFilter.INACTIVE),
        )
        ids = [row.company_id for row in page.rows]
        seen = await part(split, "last_seen", last_seen(community, ids))
        return {
            "total_count": page.total_count,
            "rows": [(cid, micros(seen[cid])) for cid in ids],
        }

    return await compare_and_time(
        "inactive",
        f"inactive customers, first page + last seen {first:%Y-%m}",
        project,
        lambda: ref.inactive(first, last, 50),
        runs,
    )


# -- re-attribution -----------------------------------------------------------------


Attribute = Callable[[Community, list[int]], Awaitable[None]]


async def attribute_in_process(community: Community, member_ids: list[int]) -> None:
    await reattribute_members(community.id, member_ids)


async def attribute_through_queue(community: Community, member_ids: list[int]) -> None:
    """Queue the enrichment job for a worker and wait until it has succeeded."""
    job = await enqueue_enrichment(community.id, member_ids)
    assert job is not None
    while True:
        status = (await Job.get(id=job.id)).status
        if status is JobStatus.SUCCEEDED:
            return
        if status is JobStatus.FAILED:
            raise SystemExit(f"the enrichment job failed: {job.id}")
        await asyncio.sleep(0.01)


async def relink(
    community: Community,
    moves: list[tuple[int, str, int]],
    attribute: Attribute,
    batch: bool = False,
) -> dict[str, float]:
    """Link each (member id, external id, company) and re-attribute; time both.

    One member goes through ``link_member``; a batch through one
    ``link_members`` call.
    """
    name = "link_members" if batch else "link_member"
    link = _link_batch if batch else _link_each
    link_ms, _ = await timed_async(lambda: link(community, moves))
    ids = [member_id for member_id, _, _ in moves]
    attribute_ms, _ = await timed_async(lambda: attribute(community, ids))
    step = "enrichment_job" if attribute is attribute_through_queue else "reattribute"
    return {name: link_ms, step: attribute_ms}


async def _link_each(community: Community, moves: list[tuple[int, str, int]]) -> None:
    for _, external_id, company_id in moves:
        await link_member(community.id, external_id, company_id, LinkSource.MANUAL)


async def _link_batch(community: Community, moves: list[tuple[int, str, int]]) -> None:
    links = [(external_id, company_id) for _, external_id, company_id in moves]
    await link_members(community.id, links, LinkSource.MANUAL)


async def project_totals(
    community: Community, p: Periods, company_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """(page views, visitors) per company over all the data, from the rollups."""
    first, last = p.data_first, p.data_last
    traffic = await company_traffic(community, first, last, company_ids)
    visitors = await company_visitors(community, first, last, company_ids)
    return {
        cid: (counts["page_views"], visitors.get(cid, 0))
        for cid, counts in traffic.items()
        if counts["page_views"]
    }


async def relink_one_figure(
    community: Community,
    ref: Reference,
    p: Periods,
    meta: dict,
    runs: int,
    attribute: Attribute,
) -> Figure:
    """The planted 100k-view member moved to another company and back."""
    heavy = meta["heavy_member"]
    old, new = heavy["company_id"], heavy["relink_company_id"]
    pair = [old, new]
    before = await project_totals(community, p, pair)
    expected = _only(ref.company_totals({heavy["id"]: new}), pair)
    forward, back, problem = [], [], None
    for _ in range(runs):
        split = await relink(
            community, [(heavy["id"], heavy["external_id"], new)], attribute
        )
        split["first_read"], after = await timed_async(
            lambda: project_totals(community, p, pair)
        )
        forward.append(split)
        problem = problem or mismatch_of(after, expected)
        back.append(
            await relink(
                community, [(heavy["id"], heavy["external_id"], old)], attribute
            )
        )
        problem = problem or mismatch_of(
            await project_totals(community, p, pair), before
        )
    title = f"re-attribution: 1 member, {heavy['views']:,} views"
    return _relink_figure("relink_one", title, forward, back, problem)


def _only(totals: dict[int, tuple[int, int]], ids: list[int]) -> dict:
    return {cid: totals[cid] for cid in ids if cid in totals}


def _relink_figure(key, title, forward, back, problem) -> Figure:
    """Medians of the forward moves; the moves back are reported as restore."""
    if problem:
        shout(f"re-attribution: {problem}")
    parts = {
        name: round(median([run[name] for run in forward]), 2) for name in forward[0]
    }
    parts["restore_total"] = round(median([sum(run.values()) for run in back]), 2)
    return Figure(
        key,
        title,
        round(median([sum(run.values()) for run in forward]), 2),
        parts_ms=parts,
        mismatch=problem,
        notes=f"median of {len(forward)} (link + reattribute + first read)",
    )


async def relink_batch_figure(
    community: Community,
    ref: Reference,
    p: Periods,
    meta: dict,
    size: int,
    attribute: Attribute,
) -> Figure:
    """``size`` members moved to other companies in one batch, then back."""
    moves, originals = await batch_moves(community, meta, size)
    before = await project_totals(community, p)
    expected = ref.company_totals({m: c for m, _, c in moves})

    split = await relink(community, moves, attribute, batch=True)
    split["first_read"], after = await timed_async(lambda: project_totals(community, p))
    problem = mismatch_of(after, expected)
    if await pending_attribution(community.id):
        problem = problem or "members still pending attribution"

    back = await relink(community, originals, attribute, batch=True)
    problem = problem or mismatch_of(await project_totals(community, p), before)
    title = f"re-attribution: {len(moves):,} members in one batch"
    figure = _relink_figure("relink_batch", title, [split], [back], problem)
    figure.notes = "one run; first_read = full-range traffic+visitors of all companies"
    return figure


async def batch_moves(community: Community, meta: dict, size: int):
    """A seeded sample of linked members, each with a different company."""
    rows = await fetch(
        "SELECT id, external_id, company_id FROM member WHERE community_id = ?"
        " AND company_id IS NOT NULL AND id <> ? ORDER BY id",
        [community.id, meta["heavy_member"]["id"]],
    )
    rng = random.Random(meta["config"]["seed"] + 2)
    companies = list(range(1, meta["companies"] + 1))
    moves, originals = [], []
    for row in rng.sample(rows, min(size, len(rows))):
        target = rng.choice(companies)
        while target == row["company_id"]:
            target = rng.choice(companies)
        moves.append((row["id"], row["external_id"], target))
        originals.append((row["id"], row["external_id"], row["company_id"]))
    return moves, originals


# -- report ---------------------------------------------------------------------------


def provenance() -> dict[str, Any]:
    """The commit the domain code came from, and whether it had local edits."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=BENCH, check=False
        )
        return done.stdout.strip()

    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "domain_edits": git("diff", "--stat", "HEAD", "--", "domain"),
    }


def apply_targets(figures: list[Figure], backend: str) -> None:
    for figure in figures:
        target = TARGETS.get(backend, {}).get(figure.key)
        if target:
            figure.target_ms, figure.target_ratio = target


def print_table(figures: list[Figure], header: str) -> None:
    """The results as a fixed-width table, parts below each figure."""
    print(f"\n{header}")
    print(
        f"{'figure':<58} {'ms':>9} {'target':>8} {'duckdb':>9} "
        f"{'ratio':>7} {'need':>5}  verdict"
    )
    for f in figures:
        target = f"{f.target_ms:g}" if f.target_ms is not None else "-"
        duck = f"{f.duckdb_ms:.2f}" if f.duckdb_ms is not None else "n/a"
        ratio = f"{f.ratio:.1f}x" if f.ratio is not None else "-"
        need = f"{f.target_ratio:g}x" if f.target_ratio else "-"
        print(
            f"{f.title[:58]:<58} {f.project_ms:9.2f} {target:>8} {duck:>9} "
            f"{ratio:>7} {need:>5}  {f.verdict}"
        )
        for name, ms in f.parts_ms.items():
            print(f"    {name:<54} {ms:9.2f}")


@contextmanager
def enrichment(args: argparse.Namespace) -> Iterator[Attribute]:
    """In this process, or, with ``--queue``, by a real ARQ worker on that Redis."""
    if not args.queue:
        yield attribute_in_process
        return
    queue = f"bench:queue:{os.getpid()}"
    os.environ["REDIS_URL"] = args.queue
    arq_queue.QUEUE = queue
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "ENGAGEMENT_QUEUE": queue,
        "ENGAGEMENT_ENV": "production",
    }
    worker = subprocess.Popen([sys.executable, "-m", "cli", "worker"], env=env)
    try:
        yield attribute_through_queue
    finally:
        worker.terminate()
        worker.wait(timeout=60)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure, in an order that leaves the data as it found it."""
    directory = args.data or data_dir(args.views)
    meta = read_meta(directory)
    p = periods_of(meta)
    ref = Reference(
        directory, meta["community"]["timezone"], meta["community"]["lurker_threshold"]
    )
    load_before = os.getloadavg()
    code = provenance()
    await open_database(args.database_url)
    try:
        community = await Community.get(name=COMMUNITY_NAME)
        figures = [
            await monthly_figure(community, ref, p, args.runs),
            await summary_figure(community, ref, p, args.runs),
            await inactive_figure(community, ref, p, args.runs),
        ]
        if not args.skip_reattribution:
            with enrichment(args) as attribute:
                figures.append(
                    await relink_one_figure(
                        community, ref, p, meta, args.relink_runs, attribute
                    )
                )
                figures.append(
                    await relink_batch_figure(
                        community, ref, p, meta, args.batch, attribute
                    )
                )
    finally:
        await close_database()
    backend = backend_of(args.database_url)
    apply_targets(figures, backend)
    return {
        "backend": backend,
        "views": meta["views"],
        "runs": args.runs,
        "enrichment": "queue" if args.queue else "in-process",
        "periods": {k: str(v) for k, v in asdict(p).items()},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "code": code,
        "figures": [
            {**asdict(f), "ratio": f.ratio, "verdict": f.verdict} for f in figures
        ],
    }


def main() -> None:
    """Command line: ``python -m bench.dashboard --database-url URL [--views N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, help="default: bench/data/views-N")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--relink-runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--skip-reattribution", action="store_true")
    parser.add_argument(
        "--queue",
        metavar="REDIS_URL",
        help="re-attribute through enrichment jobs run by a real worker on this Redis",
    )
    args = parser.parse_args()
    check_local(args.database_url)

    result = asyncio.run(run(args))
    figures = [Figure(**{k: f[k] for k in _FIELDS}) for f in result["figures"]]
    load = result["load_average"]
    print_table(
        figures,
        f"{result['backend']}, {result['views']:,} page views, {args.runs} runs;"
        f" 1-min load average {load['before'][0]:.1f} -> {load['after'][0]:.1f}"
        f" on {os.cpu_count()} cores",
    )
    name = f"dashboard-{result['backend']}-{result['views']}"
    code = result["code"]
    print(
        f"\ndomain code: {code['head']}, local edits: {code['domain_edits'] or 'none'}"
    )
    print(f"results: {write_results(name, result)}")
    if any(f.mismatch for f in figures):
        raise SystemExit("the project and DuckDB disagree; see MISMATCH above")


_FIELDS = tuple(Figure.__dataclass_fields__)

if __name__ == "__main__":
    main()
