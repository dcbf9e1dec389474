"""Load a generated data set into a fresh database and build its rollups.

Schema from the project's migrations; companies, periods, members and raw
activity inserted in bulk (COPY on PostgreSQL, executemany on SQLite); the
rollups built by the project's own code (``apply_activity`` per chunk of page
views, as ingestion does, or ``rebuild_rollups`` in one transaction). Then the
raw views are exported to Parquet for the DuckDB reference.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import duckdb
from tortoise.transactions import in_transaction

from bench.common import (
    DATA,
    Stages,
    asyncpg_dsn,
    backend_of,
    check_local,
    data_dir,
    read_meta,
    sqlite_path,
    write_results,
)
from domain.communities import create_community, zone_of
from domain.db import close_database, fetch, migrate_database, open_database
from domain.models import Community, ContributionKind
from domain.rebuild import ROLLUP_TABLES, rebuild_rollups
from domain.rollups import ContributionFact, ViewFact, apply_activity, as_datetime

CHUNK = 5_000  # the same chunk as domain.rebuild
VIEW_COLUMNS = ["id", "member_id", "anonymous_id", "occurred_at", "path", "message_id"]
CONTRIBUTION_COLUMNS = ["id", "member_id", "kind", "occurred_at", "message_id"]
SEQUENCES = ("company", "customer_period", "member", "page_view", "contribution")


# -- reading the generated files ----------------------------------------------


def csv_rows(path: Path) -> Iterator[list[str]]:
    """The rows of a generated CSV file, header skipped."""
    with path.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        yield from reader


def instant(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def number(text: str) -> int | None:
    return int(text) if text else None


def static_rows(directory: Path, community_id: int) -> dict[str, list[tuple]]:
    """Company, customer period and member rows, typed for the database."""
    now = datetime.now(UTC)
    companies = [
        (int(cid), community_id, "csv", crm_id, name, now, now)
        for cid, crm_id, name in csv_rows(directory / "companies.csv")
    ]
    periods = [
        (community_id, int(cid), instant(start), instant(end))
        for cid, start, end in csv_rows(directory / "customer_periods.csv")
    ]
    members = [
        _member_row(community_id, int(mid), external_id, number(company_id), now)
        for mid, external_id, company_id in csv_rows(directory / "members.csv")
    ]
    return {"company": companies, "customer_period": periods, "member": members}


def _member_row(
    community_id: int, member_id: int, external_id: str, company_id, now: datetime
) -> tuple:
    linked = company_id is not None
    version = 1 if linked else 0
    return (
        member_id,
        community_id,
        external_id,
        company_id,
        company_id,  # credited where linked: the rollups are built afterwards
        "crm_contact" if linked else None,
        now if linked else None,
        version,
        version,
        "{}",
        now,
    )


STATIC_COLUMNS = {
    "company": [
        "id",
        "community_id",
        "crm_source",
        "crm_id",
        "name",
        "created_at",
        "updated_at",
    ],
    "customer_period": ["community_id", "company_id", "starts_at", "ends_at"],
    "member": [
        "id",
        "community_id",
        "external_id",
        "company_id",
        "attributed_company_id",
        "link_source",
        "linked_at",
        "link_version",
        "attributed_version",
        "traits",
        "created_at",
    ],
}


# -- PostgreSQL bulk load -------------------------------------------------------


async def prefixed_lines(path: Path, prefix: str) -> AsyncIterator[bytes]:
    """The data lines of ``path`` with ``prefix`` in front, in large blocks."""
    head = prefix.encode()
    with path.open("rb") as f:
        f.readline()
        while lines := f.readlines(4 << 20):
            yield b"".join(head + line for line in lines)


async def postgres_bulk(url: str, directory: Path, community_id: int) -> Stages:
    """COPY every generated table into PostgreSQL."""
    stages = Stages()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for table, rows in static_rows(directory, community_id).items():
            await conn.copy_records_to_table(
                table, records=rows, columns=STATIC_COLUMNS[table]
            )
        stages.done("companies+periods+members")

        await _copy_file(conn, directory / "page_views.csv", "page_view", community_id)
        stages.done("page_view COPY")
        await _copy_file(
            conn, directory / "contributions.csv", "contribution", community_id
        )
        for table in SEQUENCES:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        stages.done("contribution COPY")
    finally:
        await conn.close()
    return stages


async def _copy_file(
    conn: asyncpg.Connection, path: Path, table: str, community_id: int
) -> None:
    columns = VIEW_COLUMNS if table == "page_view" else CONTRIBUTION_COLUMNS
    await conn.copy_to_table(
        table,
        source=prefixed_lines(path, f"{community_id},"),
        columns=["community_id", *columns],
        format="csv",
    )


async def postgres_analyze(url: str) -> None:
    """Compact the rollups and analyze everything.

    Building the rollups chunk by chunk rewrote each company-month row about a
    thousand times; a server without autovacuum (as a benchmark's is) keeps
    every dead copy. A long-running server's autovacuum keeps them in check.
    """
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(f"VACUUM (FULL, ANALYZE) {', '.join(ROLLUP_TABLES)}")
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


# -- SQLite bulk load -----------------------------------------------------------


def sqlite_bulk(url: str, directory: Path, community_id: int) -> Stages:
    """executemany every generated table into the SQLite file."""
    stages = Stages()
    db = sqlite3.connect(sqlite_path(url))
    try:
        db.execute("PRAGMA synchronous = OFF")
        for table, rows in static_rows(directory, community_id).items():
            _insert_many(db, table, STATIC_COLUMNS[table], map(_sqlite_values, rows))
        db.commit()
        stages.done("companies+periods+members")

        _insert_file(db, directory / "page_views.csv", "page_view", community_id)
        stages.done("page_view executemany")
        _insert_file(db, directory / "contributions.csv", "contribution", community_id)
        stages.done("contribution executemany")
    finally:
        db.close()
    return stages


def _sqlite_values(row: tuple) -> tuple:
    """Instants as the project's SQLite backend writes them."""
    return tuple(str(v) if isinstance(v, datetime) else v for v in row)


def _insert_many(db: sqlite3.Connection, table: str, columns: list[str], rows) -> None:
    marks = ", ".join("?" for _ in columns)
    db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _insert_file(
    db: sqlite3.Connection, path: Path, table: str, community_id: int
) -> None:
    columns = VIEW_COLUMNS if table == "page_view" else CONTRIBUTION_COLUMNS
    rows = ((community_id, *(value or None for value in row)) for row in csv_rows(path))
    _insert_many(db, table, ["community_id", *columns], rows)
    db.commit()


def sqlite_analyze(url: str) -> None:
    db = sqlite3.connect(sqlite_path(url))
    try:
        db.execute("ANALYZE")
        db.commit()
    finally:
        db.close()


async def analyze(url: str) -> None:
    """Fresh planner statistics; the server may run without autovacuum."""
    if backend_of(url) == "postgres":
        await postgres_analyze(url)
    else:
        await asyncio.to_thread(sqlite_analyze, url)


# -- rollups through the project's code ------------------------------------------


async def raw_chunks(table: str, columns: str, community_id: int):
    """Rows of a raw activity table in id order, ``CHUNK`` at a time."""
    last_id = 0
    while True:
        rows = await fetch(
            f"SELECT id, {columns} FROM {table} WHERE community_id = ? AND id > ?"
            f" ORDER BY id LIMIT {CHUNK}",
            [community_id, last_id],
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


async def apply_in_chunks(community: Community, total_views: int) -> None:
    """Add every stored view and contribution to the rollups, chunk by chunk.

    Each chunk is one transaction calling ``apply_activity``, as ingestion does.
    """
    zone = zone_of(community)
    done, step = 0, max(CHUNK, total_views // 20)
    async for rows in raw_chunks("page_view", "member_id, occurred_at", community.id):
        views = [ViewFact(r["member_id"], as_datetime(r["occurred_at"])) for r in rows]
        async with in_transaction() as conn:
            await apply_activity(conn, community.id, zone, views=views)
        done += len(rows)
        if done % step < len(rows):
            print(f"    rollups: {done:,}/{total_views:,} views", flush=True)

    columns = "member_id, kind, occurred_at"
    async for rows in raw_chunks("contribution", columns, community.id):
        items = [_contribution(r) for r in rows]
        async with in_transaction() as conn:
            await apply_activity(conn, community.id, zone, contributions=items)


def _contribution(row: dict[str, Any]) -> ContributionFact:
    occurred_at = as_datetime(row["occurred_at"])
    assert occurred_at is not None
    return ContributionFact(
        row["member_id"], ContributionKind(row["kind"]), occurred_at
    )


async def rebuild_in_one_transaction(community: Community) -> None:
    """The operator's path: ``domain.rebuild.rebuild_rollups``."""
    async with in_transaction() as conn:
        await rebuild_rollups(conn, community.id, zone_of(community))


async def rollup_sizes() -> dict[str, int]:
    sizes = {}
    for table in ("member_day_rollup", "member_month_rollup", "company_month_rollup"):
        rows = await fetch(f"SELECT COUNT(*) AS n FROM {table}")
        sizes[table] = int(rows[0]["n"])
    return sizes


# -- export for DuckDB --------------------------------------------------------------


def export_parquet(directory: Path) -> Path:
    """Raw views (member, member's company, instant, anonymous) and friends."""
    out = directory / "duck"
    out.mkdir(exist_ok=True)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    members = _csv(directory / "members.csv", "id BIGINT, company_id BIGINT")
    views = _csv(
        directory / "page_views.csv",
        "id BIGINT, member_id BIGINT, occurred_at TIMESTAMPTZ",
    )
    db.execute(
        f"COPY (SELECT v.member_id, m.company_id, v.occurred_at,"
        f" v.member_id IS NULL AS anonymous FROM {views} v"
        f" LEFT JOIN {members} m ON m.id = v.member_id ORDER BY v.occurred_at)"
        f" TO '{out / 'views.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
    )
    _export_small(db, directory, out, members)
    db.close()
    return out / "views.parquet"


def _csv(path: Path, columns: str) -> str:
    """A DuckDB ``read_csv`` of ``path`` typing ``columns``, others ignored."""
    types = ", ".join(
        f"'{name}': '{kind}'"
        for name, kind in (part.strip().split(" ") for part in columns.split(","))
    )
    return f"read_csv('{path}', header = true, types = {{{types}}})"


def _export_small(db, directory: Path, out: Path, members: str) -> None:
    companies = _csv(directory / "companies.csv", "id BIGINT, name VARCHAR")
    periods = _csv(
        directory / "customer_periods.csv",
        "company_id BIGINT, starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ",
    )
    contributions = _csv(
        directory / "contributions.csv",
        "member_id BIGINT, kind VARCHAR, occurred_at TIMESTAMPTZ",
    )
    queries = {
        "companies": f"SELECT id, name FROM {companies}",
        "periods": f"SELECT company_id, starts_at, ends_at FROM {periods}",
        "contributions": f"SELECT c.member_id, m.company_id, c.kind, c.occurred_at"
        f" FROM {contributions} c JOIN {members} m ON m.id = c.member_id",
    }
    for name, sql in queries.items():
        db.execute(f"COPY ({sql}) TO '{out / name}.parquet' (FORMAT parquet)")


# -- the whole load -----------------------------------------------------------------


async def fresh_community(url: str, meta: dict[str, Any]) -> Community:
    """Migrate, insist on an empty database, and create the community."""
    await migrate_database(url)
    await open_database(url)
    if await Community.all().count():
        raise SystemExit("the database is not empty; load needs a fresh one")
    spec = meta["community"]
    return await create_community(
        spec["name"], spec["timezone"], spec["lurker_threshold"]
    )


def prepare_sqlite(url: str) -> None:
    """Start from no file; only files under bench/data/ are ever removed."""
    path = sqlite_path(url).resolve()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    if DATA.resolve() not in path.parents:
        raise SystemExit(f"{path} exists and is outside bench/data; not replacing it")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def load(url: str, directory: Path, rollups: str, export: bool) -> dict:
    """Every step of the load, timed."""
    meta = read_meta(directory)
    backend = backend_of(url)
    if backend == "sqlite":
        prepare_sqlite(url)
    stages = Stages()
    community = await fresh_community(url, meta)
    stages.done("migrate+community")

    if backend == "postgres":
        bulk = await postgres_bulk(url, directory, community.id)
    else:
        bulk = await asyncio.to_thread(sqlite_bulk, url, directory, community.id)
    stages.done("bulk insert (total)")
    await analyze(url)
    stages.done("analyze raw tables")

    if rollups == "rebuild":
        await rebuild_in_one_transaction(community)
    else:
        await apply_in_chunks(community, meta["views"])
    stages.done(f"rollups ({rollups})")
    sizes = await rollup_sizes()
    await close_database()

    await analyze(url)
    stages.done("analyze")
    if export:
        print(f"  exported {export_parquet(directory)}")
        stages.done("export parquet")
    return {
        "backend": backend,
        "views": meta["views"],
        "rollups": rollups,
        "rollup_rows": sizes,
        "seconds": {**bulk.seconds, **stages.seconds},
    }


def main() -> None:
    """Command line: ``python -m bench.load --database-url URL [--views N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, help="default: bench/data/views-N")
    parser.add_argument("--rollups", choices=("chunks", "rebuild"), default="chunks")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    check_local(args.database_url)

    directory = args.data or data_dir(args.views)
    print(f"loading {directory} into {args.database_url}")
    result = asyncio.run(
        load(args.database_url, directory, args.rollups, not args.no_export)
    )
    print(f"rollup rows: {result['rollup_rows']}")
    name = f"load-{result['backend']}-{result['views']}"
    print(f"results: {write_results(name, result)}")


if __name__ == "__main__":
    main()
