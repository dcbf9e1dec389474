"""Raw SQL that the ORM cannot express well, one version per dialect.

Every statement here is written once with ``?`` placeholders; where the two
dialects differ (bulk row sources, row locks), the difference lives in the
small builders below and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import fetch, is_postgres

# SQLite allows 32,766 bound values per statement; stay well below.
_SQLITE_MAX_VALUES = 30_000


def greatest(left: str, right: str) -> str:
    """The later of two nullable instants, in SQL both dialects accept."""
    return f"CASE WHEN {left} IS NULL OR {right} > {left} THEN {right} ELSE {left} END"


def row_lock(conn: BaseDBAsyncClient, mode: str) -> str:
    """``FOR SHARE`` / ``FOR UPDATE`` on PostgreSQL; SQLite serialises writers."""
    return f" FOR {mode}" if is_postgres(conn) else ""


def in_list(
    column: str, values: Sequence[Any], conn: BaseDBAsyncClient, kind: str = "bigint"
) -> tuple[str, list]:
    """``column IN (...)`` for any number of values, as SQL and its parameters.

    On PostgreSQL the values come as one typed array joined row by row: unlike
    ``= ANY(array)``, that keeps its index plan when the statement is cached.
    """
    if is_postgres(conn):
        return f"{column} IN (SELECT unnest(?::{kind}[]))", [list(values)]
    marks = ", ".join("?" for _ in values) or "NULL"
    return f"{column} IN ({marks})", list(values)


async def upsert(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    conflict: str,
    updates: str,
    returning: str = "",
) -> list[dict[str, Any]]:
    """Insert ``rows`` or update on ``conflict``; return ``returning`` per row."""
    tail = f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    if returning:
        tail += f" RETURNING {returning}"
    return await _insert(conn, table, columns, rows, tail)


async def insert_ignoring_duplicates(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    conflict: str,
    returning: str,
) -> list[dict[str, Any]]:
    """Insert ``rows``, skip those that already exist, return the inserted ones."""
    tail = f" ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
    return await _insert(conn, table, columns, rows, tail)


async def _insert(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    tail: str,
) -> list[dict[str, Any]]:
    """A multi-row INSERT in as few statements as each dialect allows.

    ``columns`` pairs each column with its PostgreSQL type, which types the
    arrays that PostgreSQL unnests into rows in one prepared statement.
    """
    if not rows:
        return []
    names = ", ".join(name for name, _ in columns)

    if is_postgres(conn):
        arrays = ", ".join(f"?::{kind}[]" for _, kind in columns)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){tail}"
        return await fetch(
            sql, [list(column) for column in zip(*rows, strict=True)], conn
        )

    result: list[dict[str, Any]] = []
    per_statement = max(1, _SQLITE_MAX_VALUES // len(columns))
    row_marks = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        marks = ", ".join(row_marks for _ in chunk)
        sql = f"INSERT INTO {table} ({names}) VALUES {marks}{tail}"
        result += await fetch(sql, [value for row in chunk for value in row], conn)
    return result


def pairs_in(
    columns: tuple[str, str],
    kinds: tuple[str, str],
    pairs: Sequence[tuple[Any, Any]],
    conn: BaseDBAsyncClient,
) -> tuple[str, list]:
    """``(a, b) IN (...)`` for exact pairs, as SQL and its parameters."""
    left = f"({columns[0]}, {columns[1]})"
    if is_postgres(conn):
        firsts, seconds = zip(*pairs, strict=True) if pairs else ((), ())
        sql = f"{left} IN (SELECT * FROM unnest(?::{kinds[0]}[], ?::{kinds[1]}[]))"
        return sql, [list(firsts), list(seconds)]
    marks = ", ".join("(?, ?)" for _ in pairs) or "(NULL, NULL)"
    return f"{left} IN (VALUES {marks})", [value for pair in pairs for value in pair]


def values_table(
    name: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    conn: BaseDBAsyncClient,
) -> tuple[str, list]:
    """A CTE ``name(columns) AS (...)`` over literal rows, and its parameters."""
    names = ", ".join(column for column, _ in columns)
    if is_postgres(conn):
        arrays = ", ".join(f"?::{kind}[]" for _, kind in columns)
        params = [list(column) for column in zip(*rows, strict=True)]
        return f"{name}({names}) AS (SELECT * FROM unnest({arrays}))", params
    row_marks = "(" + ", ".join("?" for _ in columns) + ")"
    marks = ", ".join(row_marks for _ in rows)
    return f"{name}({names}) AS (VALUES {marks})", [
        value for row in rows for value in row
    ]
