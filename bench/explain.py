"""Where the dashboard's time goes: each SQL statement the domain issues, timed.

Runs each dashboard figure once while capturing the statements Tortoise sends,
then re-runs every statement alone (median of ``--runs``) and records its plan:
``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite.
The gap between a figure's time and the sum of its statements is Python.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import (
    COMMUNITY_NAME,
    backend_of,
    check_local,
    data_dir,
    median,
    read_meta,
    timed_async,
    write_results,
)
from bench.dashboard import Periods, periods_of
from domain import answers
from domain.customers import ActivityFilter, CustomerOrder, list_customers
from domain.db import close_database, connection, open_database
from domain.metrics import customer_engagement, engagement_summary, monthly_activity
from domain.models import Community


class Capture(logging.Handler):
    """Collects the (query, values) pairs Tortoise logs at debug level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str):
            self.statements.append((args[0], list(args[1] or [])))


async def captured(work: Callable[[], Awaitable[Any]]) -> list[tuple[str, list]]:
    """The statements ``work`` sends to the database."""
    logger = logging.getLogger("tortoise.db_client")
    handler = Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        await work()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.WARNING)
    return handler.statements


def figures(community: Community, p: Periods) -> dict[str, Callable[[], Awaitable]]:
    """The dashboard calls, one list of awaitables per figure."""
    first, last = p.range_first, p.range_last

    async def summary() -> None:
        await engagement_summary(community, first, last)
        page, _ = await list_customers(
            community, first, last, order=CustomerOrder.PAGE_VIEWS
        )
        ids = [row.company_id for row in page.rows]
        await customer_engagement(community, first, last, ids)

    async def inactive() -> None:
        await list_customers(
            community, p.last_month, p.data_last, activity=ActivityFilter.INACTIVE
        )

    return {
        "monthly": lambda: monthly_activity(community, p.first_month, p.last_month),
        "summary": summary,
        "inactive": inactive,
    }


async def statement_report(sql: str, values: list, runs: int, pg: bool) -> dict:
    """One statement: its median time alone and its plan."""
    conn = connection()
    samples = []
    for _ in range(runs):
        elapsed, rows = await timed_async(lambda: conn.execute_query_dict(sql, values))
        samples.append(elapsed)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
    plan = await conn.execute_query_dict(prefix + sql, values)
    lines = [" ".join(str(v) for v in row.values()) for row in plan]
    return {
        "ms": round(median(samples), 2),
        "rows": len(rows),
        "sql": sql,
        "plan": lines,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    meta = read_meta(args.data or data_dir(args.views))
    p = periods_of(meta)
    pg = backend_of(args.database_url) == "postgres"
    await open_database(args.database_url)
    report: dict[str, Any] = {}
    try:
        community = await Community.get(name=COMMUNITY_NAME)
        for name, compute in figures(community, p).items():

            async def work(compute=compute) -> None:
                answers.forget()  # the computation, not a remembered answer
                await compute()

            await work()
            total = median([(await timed_async(work))[0] for _ in range(args.runs)])
            statements = await captured(work)
            parts = [
                await statement_report(sql, values, args.runs, pg)
                for sql, values in statements
            ]
            report[name] = {"ms": round(total, 2), "statements": parts}
            print_figure(name, total, parts)
    finally:
        await close_database()
    return report


def print_figure(name: str, total: float, parts: list[dict]) -> None:
    """A figure's time, its statements' times, and the rest (Python)."""
    sql_ms = sum(part["ms"] for part in parts)
    print(f"\n{name}: {total:.1f} ms, of which SQL {sql_ms:.1f} ms alone")
    for part in parts:
        text = " ".join(part["sql"].split())
        print(f"  {part['ms']:8.2f} ms {part['rows']:6d} rows  {text[:90]}")
        summary = [line for line in part["plan"] if "Execution Time" in line]
        if summary:
            print(f"{'':22}{summary[0].strip()}")


def main() -> None:
    """Command line: ``python -m bench.explain --database-url URL [--views N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, help="default: bench/data/views-N")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    check_local(args.database_url)

    report = asyncio.run(run(args))
    backend = backend_of(args.database_url)
    meta = read_meta(args.data or data_dir(args.views))
    path = write_results(f"explain-{backend}-{meta['views']}", report)
    print(f"\nplans: {path}")


if __name__ == "__main__":
    main()
