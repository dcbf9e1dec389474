"""What-if measurements for the slow figures, on PostgreSQL, leaving no trace.

Each experiment times the statement the domain sends today next to an
alternative design (an index, a small precomputed table, a batch statement),
checks that both give the same rows, and runs inside one transaction that is
rolled back at the end, so the database is left exactly as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from tortoise.transactions import in_transaction

from bench.common import (
    COMMUNITY_NAME,
    asyncpg_dsn,
    backend_of,
    check_local,
    data_dir,
    median,
    read_meta,
    write_results,
)
from bench.dashboard import Periods, periods_of
from bench.explain import captured
from domain.communities import zone_of
from domain.customers import ActivityFilter, list_customers
from domain.db import close_database, open_database
from domain.metrics import company_traffic, engagement_summary, monthly_activity
from domain.models import Community
from domain.periods import day_start, next_month
from domain.rollups import reattribute


class Rollback(Exception):
    """Raised to roll back a Tortoise transaction on purpose."""


async def timed_sql(
    conn: asyncpg.Connection, sql: str, args: list, runs: int
) -> tuple[float, list]:
    """Median milliseconds of ``sql`` over ``runs`` runs, and its rows."""
    samples, rows = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rows = await conn.fetch(sql, *args)
        samples.append((time.perf_counter() - started) * 1000)
    return round(median(samples), 2), rows


def same(left: list, right: list) -> bool:
    """Whether two results hold the same rows, in any order."""
    return sorted(map(tuple, left)) == sorted(map(tuple, right))


def pick(statements: list[tuple[str, list]], marker: str) -> tuple[str, list]:
    """The captured statement whose SQL contains ``marker``."""
    return next(s for s in statements if marker in s[0])


class Lab:
    """Runs named variants of a question and records their timings."""

    def __init__(self, conn: asyncpg.Connection, runs: int) -> None:
        self.conn = conn
        self.runs = runs
        self.results: dict[str, dict[str, Any]] = {}

    async def variant(
        self, question: str, name: str, sql: str, args: list, baseline: list | None
    ) -> list:
        """Time one variant; compare its rows with the question's baseline."""
        ms, rows = await timed_sql(self.conn, sql, args, self.runs)
        agrees = None if baseline is None else same(rows, baseline)
        self.results.setdefault(question, {})[name] = {"ms": ms, "same": agrees}
        flag = "" if agrees in (None, True) else "  !!! DIFFERENT ROWS"
        print(f"  {question:<22} {name:<44} {ms:9.2f} ms{flag}", flush=True)
        return rows

    async def setup(self, question: str, name: str, sql: str, args=()) -> None:
        """Run and time a one-off setup statement (index, table) once."""
        started = time.perf_counter()
        await self.conn.execute(sql, *args)
        ms = round((time.perf_counter() - started) * 1000, 1)
        self.results.setdefault(question, {})[f"setup: {name}"] = {"ms": ms}
        print(f"  {question:<22} {'setup: ' + name:<44} {ms:9.1f} ms", flush=True)


# -- the questions -------------------------------------------------------------


async def monthly_question(lab: Lab, current: tuple[str, list], cid: int) -> None:
    """Monthly activity: today's query, JIT off, customer-month table, counts."""
    sql, args = current
    base = await lab.variant("monthly", "current", sql, args, None)
    await lab.conn.execute("SET LOCAL jit = off")
    await lab.variant("monthly", "current, jit off", sql, args, base)
    await lab.conn.execute("RESET jit")

    months, starts, ends = args[0], args[1], args[2]
    await lab.setup(
        "monthly",
        "customer_month table",
        "CREATE TEMP TABLE customer_month AS SELECT DISTINCT cp.community_id,"
        " m.month, cp.company_id FROM customer_period cp JOIN unnest($1::date[],"
        " $2::timestamptz[], $3::timestamptz[]) m(month, starts, ends)"
        " ON (cp.starts_at IS NULL OR cp.starts_at < m.ends)"
        " AND (cp.ends_at IS NULL OR cp.ends_at > m.starts)",
        [months, starts, ends],
    )
    await lab.conn.execute(
        "ALTER TABLE customer_month ADD PRIMARY KEY (community_id, month, company_id);"
        " ANALYZE customer_month"
    )
    await lab.variant(
        "monthly",
        "customer_month JOIN company_month_rollup",
        "SELECT cm.month, COUNT(*) AS total, COUNT(r.company_id) AS active"
        " FROM customer_month cm LEFT JOIN company_month_rollup r"
        " ON r.company_id = cm.company_id AND r.month = cm.month"
        " AND r.page_views > 0 WHERE cm.community_id = $1"
        " AND cm.month BETWEEN $2 AND $3 GROUP BY cm.month",
        [cid, months[0], months[-1]],
        base,
    )
    await _monthly_counts(lab, sql, args, cid, base)


async def _monthly_counts(lab: Lab, sql: str, args: list, cid: int, base) -> None:
    """A community x month table of (total, active), and one month's refresh."""
    months = args[0]
    await lab.setup(
        "monthly",
        "community_month counts table",
        f"CREATE TEMP TABLE community_month AS SELECT {cid} AS community_id, *"
        f" FROM ({sql}) q",
        args,
    )
    await lab.variant(
        "monthly",
        "community_month lookup",
        "SELECT month, total, active FROM community_month"
        " WHERE community_id = $1 AND month BETWEEN $2 AND $3",
        [cid, months[0], months[-1]],
        base,
    )
    one = [[args[0][-1]], [args[1][-1]], [args[2][-1]], *args[3:]]
    expected = await lab.variant(
        "monthly", "refresh one month: today's query", sql, one, None
    )
    await lab.variant(
        "monthly",
        "refresh one month: targeted query",
        "SELECT $4::date AS month, COUNT(*) AS total, COUNT(r.company_id) AS active"
        " FROM (SELECT DISTINCT company_id FROM customer_period"
        " WHERE community_id = $1 AND (starts_at IS NULL OR starts_at < $3)"
        " AND (ends_at IS NULL OR ends_at > $2)) c"
        " LEFT JOIN company_month_rollup r ON r.company_id = c.company_id"
        " AND r.month = $4 AND r.page_views > 0",
        [cid, args[1][-1], args[2][-1], args[0][-1]],
        expected,
    )


async def visitors_question(lab: Lab, current: tuple[str, list], p: Periods) -> None:
    """Range unique visitors: today's query, JIT off, covering partial indexes."""
    sql, args = current
    base = await lab.variant("unique visitors", "current", sql, args, None)
    await lab.conn.execute("SET LOCAL jit = off")
    await lab.variant("unique visitors", "current, jit off", sql, args, base)
    await lab.conn.execute("RESET jit")
    await lab.setup(
        "unique visitors",
        "index member_month (community, month, member)",
        "CREATE INDEX x_mm_visitors ON member_month_rollup"
        " (community_id, month, member_id) WHERE page_views > 0",
    )
    await lab.setup(
        "unique visitors",
        "index member_day (community, day, member)",
        "CREATE INDEX x_md_visitors ON member_day_rollup"
        " (community_id, day, member_id) WHERE page_views > 0",
    )
    await lab.conn.execute("ANALYZE member_month_rollup; ANALYZE member_day_rollup")
    await lab.variant("unique visitors", "current + covering indexes", sql, args, base)
    await _member_days(lab, args, base, p)


async def _member_days(lab: Lab, args: list, base: list, p: Periods) -> None:
    """One row per member: its active local days as a datemultirange."""
    await lab.setup(
        "unique visitors",
        "member_days multirange table",
        "CREATE TEMP TABLE member_days AS SELECT community_id, member_id,"
        " MAX(company_id) AS company_id,"
        " range_agg(daterange(day, day, '[]')) AS days FROM member_day_rollup"
        " WHERE page_views > 0 GROUP BY community_id, member_id",
    )
    await lab.conn.execute("ANALYZE member_days")
    await lab.variant(
        "unique visitors",
        "member_days && daterange (seq scan)",
        "SELECT COUNT(*) AS visitors FROM member_days WHERE community_id = $1"
        " AND days && daterange($2, $3, '[]')",
        [args[0], p.range_first, p.range_last],
        base,
    )


async def traffic_question(lab: Lab, current: tuple[str, list], p: Periods) -> None:
    """All companies' range traffic: today's query vs a company x day rollup."""
    sql, args = current
    base = await lab.variant("traffic, all companies", "current", sql, args, None)
    columns = "page_views, topics, replies, reactions, solutions, ideas"
    sums = ", ".join(f"SUM({c}) AS {c}" for c in columns.split(", "))
    await lab.setup(
        "traffic, all companies",
        "company_day table from member_day",
        f"CREATE TEMP TABLE company_day AS SELECT community_id, company_id, day,"
        f" {sums} FROM member_day_rollup WHERE company_id IS NOT NULL"
        f" GROUP BY community_id, company_id, day",
    )
    await lab.conn.execute(
        "ALTER TABLE company_day ADD PRIMARY KEY (community_id, day, company_id);"
        " ANALYZE company_day"
    )
    alternative = sql.replace("FROM member_day_rollup", "FROM company_day")
    await lab.variant(
        "traffic, all companies",
        "company_day instead of member_day",
        alternative,
        args,
        base,
    )


async def last_seen_question(lab: Lab, current: tuple[str, list]) -> None:
    """Last seen of the inactive candidates: today's query vs alternatives."""
    sql, args = current
    base = await lab.variant("last seen", "current", sql, args, None)
    await lab.setup(
        "last seen",
        "index company_month (company, last_view_at)",
        "CREATE INDEX x_cm_seen ON company_month_rollup (company_id, last_view_at)"
        " WHERE page_views > 0",
    )
    await lab.conn.execute("ANALYZE company_month_rollup")
    await lab.variant("last seen", "current + index", sql, args, base)
    await lab.setup(
        "last seen",
        "company_last_seen table",
        "CREATE TEMP TABLE company_last_seen AS SELECT company_id,"
        " MAX(last_view_at) AS seen FROM company_month_rollup WHERE page_views > 0"
        " GROUP BY company_id",
    )
    await lab.conn.execute(
        "ALTER TABLE company_last_seen ADD PRIMARY KEY (company_id);"
        " ANALYZE company_last_seen"
    )
    await lab.variant(
        "last seen",
        "company_last_seen lookup",
        "SELECT company_id, seen FROM company_last_seen WHERE company_id = ANY($2)"
        " AND $1::int IS NOT NULL",
        args,
        base,
    )


async def inactive_page_question(lab: Lab, cid: int, p: Periods, zone) -> None:
    """The inactive first page as one statement over company_last_seen."""
    start, end = (
        day_start(p.last_month, zone),
        day_start(next_month(p.last_month), zone),
    )
    await lab.variant(
        "inactive first page",
        "one statement with company_last_seen",
        "SELECT c.id, s.seen FROM company c"
        " JOIN (SELECT DISTINCT company_id FROM customer_period"
        " WHERE community_id = $1 AND (starts_at IS NULL OR starts_at < $3)"
        " AND (ends_at IS NULL OR ends_at > $2)) cu ON cu.company_id = c.id"
        " LEFT JOIN company_last_seen s ON s.company_id = c.id"
        " WHERE NOT EXISTS (SELECT 1 FROM company_month_rollup r"
        " WHERE r.company_id = c.id AND r.month = $4 AND r.page_views > 0)"
        " ORDER BY s.seen DESC NULLS LAST, lower(c.name), c.id LIMIT 50",
        [cid, start, end, p.last_month],
        None,
    )


async def link_question(lab: Lab, cid: int, size: int) -> None:
    """One UPDATE for ``size`` link changes, versus link_member per member."""
    rows = await lab.conn.fetch(
        "SELECT id, company_id FROM member WHERE community_id = $1"
        " AND company_id IS NOT NULL ORDER BY id LIMIT $2",
        cid,
        size,
    )
    ids = [r["id"] for r in rows]
    targets = [r["company_id"] % 5000 + 1 for r in rows]
    started = time.perf_counter()
    await lab.conn.execute(
        "UPDATE member m SET company_id = u.company_id, link_source = 'manual',"
        " linked_at = now(), link_version = m.link_version + 1"
        " FROM unnest($1::bigint[], $2::bigint[]) u(id, company_id)"
        " WHERE m.community_id = $3 AND m.id = u.id"
        " AND m.company_id IS DISTINCT FROM u.company_id",
        ids,
        targets,
        cid,
    )
    ms = round((time.perf_counter() - started) * 1000, 1)
    lab.results["batch link"] = {f"one UPDATE for {size} members": {"ms": ms}}
    print(f"  {'batch link':<22} {f'one UPDATE for {size} members':<44} {ms:9.1f} ms")


# -- re-attribution, statement by statement -------------------------------------------


async def reattribute_profile(cid: int, size: int) -> list[dict[str, Any]]:
    """The statements of one ``reattribute`` batch and the time up to the next one.

    The members are re-linked by one UPDATE inside a Tortoise transaction that
    is rolled back afterwards.
    """
    logger = logging.getLogger("tortoise.db_client")
    records: list[logging.LogRecord] = []
    profile: list[dict[str, Any]] = []
    handler = _Recorder(records)
    try:
        async with in_transaction() as conn:
            ids = await _relink_for_profile(conn, cid, size)
            held = await _pairs_held(conn, ids)
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            started = time.perf_counter()
            await reattribute(conn, cid, ids)
            total = time.perf_counter() - started
            logger.removeHandler(handler)
            profile = _statement_gaps(records, total)
            await _explain_slow(conn, records, profile)
            profile.append(await _narrower_refresh(conn, held))
            raise Rollback
    except Rollback:
        pass
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.WARNING)
    return profile


class _Recorder(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        record.stamp = time.perf_counter()  # type: ignore[attr-defined]
        self.records.append(record)


async def _relink_for_profile(conn, cid: int, size: int) -> list[int]:
    rows = await conn.execute_query_dict(
        "SELECT id FROM member WHERE community_id = $1 AND company_id IS NOT NULL"
        " ORDER BY id DESC LIMIT $2",
        [cid, size],
    )
    ids = [r["id"] for r in rows]
    await conn.execute_query(
        "UPDATE member SET company_id = company_id % 5000 + 1,"
        " link_version = link_version + 1 WHERE id = ANY($1)",
        [ids],
    )
    return ids


def _statement_gaps(records: list[logging.LogRecord], total: float) -> list[dict]:
    """Each statement with the wall time until the next one was sent."""
    stamps = [r.stamp for r in records]  # type: ignore[attr-defined]
    end = stamps[0] + total if stamps else 0.0
    out = []
    for index, record in enumerate(records):
        following = stamps[index + 1] if index + 1 < len(records) else end
        text = " ".join(str(record.args[0]).split()) if record.args else ""
        out.append({"ms": round((following - stamps[index]) * 1000, 1), "sql": text})
        print(f"  {out[-1]['ms']:9.1f} ms  {text[:100]}")
    return out


async def _pairs_held(conn, ids: list[int]) -> dict[str, Any]:
    """Company-months the members leave, and those whose latest view they hold.

    Only the latter can change their ``last_view_at`` when the members leave.
    """
    rows = await conn.execute_query_dict(
        "SELECT mm.company_id, mm.month, mm.last_view_at = cm.last_view_at AS held"
        " FROM member_month_rollup mm JOIN company_month_rollup cm"
        " ON cm.company_id = mm.company_id AND cm.month = mm.month"
        " WHERE mm.member_id = ANY($1)",
        [ids],
    )
    every = {(r["company_id"], r["month"]) for r in rows}
    held = sorted({(r["company_id"], r["month"]) for r in rows if r["held"]})
    return {"pairs": len(every), "held": held}


async def _narrower_refresh(conn, held: dict[str, Any]) -> dict[str, Any]:
    """Time the latest-view refresh for the held pairs only, then with an index."""
    pairs = held["held"]
    sql = (
        "UPDATE company_month_rollup SET last_view_at = (SELECT MAX(mm.last_view_at)"
        " FROM member_month_rollup mm WHERE mm.company_id = company_month_rollup"
        ".company_id AND mm.month = company_month_rollup.month)"
        " WHERE (company_id, month) IN (SELECT * FROM unnest($1::bigint[],"
        " $2::date[]))"
    )
    values = [[c for c, _ in pairs], [m for _, m in pairs]]
    timings = {}
    for label in ("held pairs only", "held pairs + index"):
        if label.endswith("index"):
            await conn.execute_query(
                "CREATE INDEX x_mm_latest ON member_month_rollup"
                " (company_id, month, last_view_at)"
            )
        started = time.perf_counter()
        await conn.execute_query(sql, values)
        timings[label] = round((time.perf_counter() - started) * 1000, 1)
    line = (
        f"refresh of {len(pairs)} held pairs (of {held['pairs']} left):"
        f" {timings['held pairs only']} ms; with an index on member_month_rollup"
        f" (company_id, month, last_view_at): {timings['held pairs + index']} ms"
    )
    print(f"\n  what-if: {line}")
    return {"what_if": line, **timings, "pairs": held["pairs"], "held": len(pairs)}


async def _explain_slow(conn, records, profile, slower_than: float = 30.0) -> None:
    """EXPLAIN ANALYZE the slow statements again, in the same transaction."""
    for record, entry in zip(records, profile, strict=True):
        if entry["ms"] < slower_than or not record.args:
            continue
        sql, values = record.args[0], list(record.args[1] or [])
        plan = await conn.execute_query_dict(
            "EXPLAIN (ANALYZE, BUFFERS) " + sql, values
        )
        entry["plan"] = [row["QUERY PLAN"] for row in plan]
        print(f"\n  plan of the {entry['ms']} ms statement (re-run):")
        for line in entry["plan"]:
            if "actual time" in line or "Execution Time" in line:
                print(f"    {line[:150]}")


# -- the whole run ---------------------------------------------------------------------


async def capture_current(community: Community, p: Periods) -> dict[str, tuple]:
    """Today's statements for each question, as the domain sends them."""
    first, last = p.range_first, p.range_last

    def once(work: Callable[[], Awaitable[Any]]):
        return captured(work)

    monthly = await once(
        lambda: monthly_activity(community, p.first_month, p.last_month)
    )
    summary = await once(lambda: engagement_summary(community, first, last))
    traffic = await once(lambda: company_traffic(community, first, last))
    inactive = await once(
        lambda: list_customers(
            community, p.last_month, p.data_last, activity=ActivityFilter.INACTIVE
        )
    )
    return {
        "monthly": monthly[0],
        "visitors": pick(summary, "AS visitors FROM (SELECT member_id"),
        "traffic": traffic[0],
        "last_seen": pick(inactive, "MAX(last_view_at)"),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    meta = read_meta(args.data or data_dir(args.views))
    p = periods_of(meta)
    await open_database(args.database_url)
    try:
        community = await Community.get(name=COMMUNITY_NAME)
        current = await capture_current(community, p)
        print("\nre-attribution of one batch, statement by statement:")
        profile = await reattribute_profile(community.id, args.batch)
    finally:
        await close_database()

    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    lab = Lab(conn, args.runs)
    print("\nvariants (median of each):")
    try:
        transaction = conn.transaction()
        await transaction.start()
        await monthly_question(lab, current["monthly"], community.id)
        await visitors_question(lab, current["visitors"], p)
        await traffic_question(lab, current["traffic"], p)
        await last_seen_question(lab, current["last_seen"])
        await inactive_page_question(lab, community.id, p, zone_of(community))
        await link_question(lab, community.id, args.link_batch)
        await transaction.rollback()
    finally:
        await conn.close()
    return {"variants": lab.results, "reattribute_batch": profile}


def main() -> None:
    """Command line: ``python -m bench.experiments --database-url URL``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, help="default: bench/data/views-N")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500, help="reattribute batch")
    parser.add_argument("--link-batch", type=int, default=10_000)
    args = parser.parse_args()
    check_local(args.database_url)
    if backend_of(args.database_url) != "postgres":
        raise SystemExit("the experiments use PostgreSQL's transactional DDL")

    result = asyncio.run(run(args))
    meta = read_meta(args.data or data_dir(args.views))
    path = write_results(f"experiments-{meta['views']}", result)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
