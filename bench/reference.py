"""The DuckDB reference: the dashboard's answers computed from the raw views file.

Every query scans the Parquet files written by bench/load.py; local days and
months come from DuckDB's own time zone functions, never from the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

KINDS = ("topic", "reply", "reaction", "solution", "idea")
COLUMNS = ("topics", "replies", "reactions", "solutions", "ideas")
KIND_COLUMNS = dict(zip(KINDS, COLUMNS, strict=True))


class Reference:
    """DuckDB over ``views``, ``contributions``, ``companies`` and ``periods``."""

    def __init__(self, directory: Path, timezone: str, lurker_threshold: int) -> None:
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute("SET threads = 2")
        for name in ("views", "contributions", "companies", "periods"):
            path = directory / "duck" / f"{name}.parquet"
            self.db.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')"
            )
        self.tz = timezone
        self.threshold = lurker_threshold

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.db.execute(sql, list(params)).fetchall()

    # -- building blocks ----------------------------------------------------

    def _local_start(self, day: str) -> str:
        """The instant a local date (SQL expression) begins, as TIMESTAMPTZ."""
        return f"timezone('{self.tz}', CAST({day} AS TIMESTAMP))"

    def _bounds(self, first: date, last: date) -> str:
        start = self._local_start(f"DATE '{first}'")
        end = self._local_start(f"DATE '{last}' + INTERVAL 1 DAY")
        return f"bounds AS (SELECT {start} AS starts, {end} AS ends)"

    @staticmethod
    def _customers() -> str:
        return (
            "customers AS (SELECT DISTINCT company_id FROM periods p, bounds b"
            " WHERE (p.starts_at IS NULL OR p.starts_at < b.ends)"
            " AND (p.ends_at IS NULL OR p.ends_at > b.starts))"
        )

    @staticmethod
    def _in_range() -> str:
        return (
            "inrange AS (SELECT v.* FROM views v, bounds b"
            " WHERE v.occurred_at >= b.starts AND v.occurred_at < b.ends)"
        )

    def _common(self, first: date, last: date) -> str:
        """The bounds, customers and in-range views CTEs of a range."""
        return f"{self._bounds(first, last)}, {self._customers()}, {self._in_range()}"

    # -- the dashboard's questions --------------------------------------------

    def monthly(self, first: date, last: date) -> list[tuple[str, int, int]]:
        """(month, active, total) for each month ``first..last``."""
        sql = (
            "WITH months AS (SELECT CAST(m AS DATE) AS month,"
            f" timezone('{self.tz}', m) AS starts,"
            f" timezone('{self.tz}', m + INTERVAL 1 MONTH) AS ends"
            " FROM range(CAST(? AS TIMESTAMP),"
            " CAST(? AS TIMESTAMP) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) r(m)),"
            " customers AS (SELECT DISTINCT mo.month, p.company_id"
            " FROM months mo JOIN periods p"
            " ON (p.starts_at IS NULL OR p.starts_at < mo.ends)"
            " AND (p.ends_at IS NULL OR p.ends_at > mo.starts)),"
            # Each view finds its local month by the latest month start before it.
            " active AS (SELECT DISTINCT v.company_id, mo.month FROM views v"
            " ASOF JOIN months mo ON v.occurred_at >= mo.starts"
            " WHERE v.company_id IS NOT NULL AND v.occurred_at < mo.ends)"
            " SELECT mo.month, COUNT(a.company_id), COUNT(c.company_id)"
            " FROM months mo LEFT JOIN customers c ON c.month = mo.month"
            " LEFT JOIN active a ON a.company_id = c.company_id AND a.month = c.month"
            " GROUP BY mo.month ORDER BY mo.month"
        )
        return [
            (m.isoformat(), active, total)
            for m, active, total in self.rows(sql, [first, last])
        ]

    def summary(self, first: date, last: date) -> dict[str, Any]:
        """The range's customer counts, traffic and monthly breakdown."""
        sql = (
            f"WITH {self._common(first, last)}"
            " SELECT (SELECT COUNT(*) FROM customers),"
            " (SELECT COUNT(*) FROM customers WHERE company_id IN"
            " (SELECT company_id FROM inrange WHERE company_id IS NOT NULL)),"
            " COUNT(*), COUNT(*) FILTER (WHERE anonymous), COUNT(DISTINCT member_id)"
            " FROM inrange"
        )
        total, active, views, anonymous, visitors = self.rows(sql)[0]
        months = self.monthly(first.replace(day=1), last.replace(day=1))
        return {
            "active": active,
            "total": total,
            "page_views": views,
            "anonymous_page_views": anonymous,
            "unique_visitors": visitors,
            "months": months,
        }

    def top_customers(self, first: date, last: date, limit: int) -> dict[str, Any]:
        """Customers of the range by attributed page views, most first."""
        sql = (
            f"WITH {self._common(first, last)},"
            " traffic AS (SELECT company_id, COUNT(*) AS views FROM inrange"
            " WHERE company_id IS NOT NULL GROUP BY company_id)"
            " SELECT c.id, COALESCE(t.views, 0) AS views, COUNT(*) OVER () AS total"
            " FROM companies c JOIN customers cu ON cu.company_id = c.id"
            " LEFT JOIN traffic t ON t.company_id = c.id"
            " ORDER BY views DESC, lower(c.name), c.id LIMIT ?"
        )
        rows = self.rows(sql, [limit])
        return {
            "total_count": rows[0][2] if rows else 0,
            "rows": [(company_id, views) for company_id, views, _ in rows],
        }

    def engagement(
        self, first: date, last: date, company_ids: list[int]
    ) -> dict[int, tuple]:
        """Per company: page views, unique visitors, contributions, lurker flag."""
        views = self.rows(
            f"WITH {self._bounds(first, last)}, {self._in_range()}"
            " SELECT company_id, COUNT(*), COUNT(DISTINCT member_id) FROM inrange"
            " WHERE company_id IN (SELECT UNNEST(?)) GROUP BY company_id",
            [company_ids],
        )
        contributions = self.rows(
            f"WITH {self._bounds(first, last)} SELECT company_id, kind, COUNT(*)"
            " FROM contributions c, bounds b WHERE c.occurred_at >= b.starts"
            " AND c.occurred_at < b.ends AND company_id IN (SELECT UNNEST(?))"
            " GROUP BY company_id, kind",
            [company_ids],
        )
        return self._engagement_answer(company_ids, views, contributions)

    def _engagement_answer(self, company_ids, views, contributions):
        traffic = {cid: (pv, uv) for cid, pv, uv in views}
        kinds: dict[int, dict[str, int]] = {
            cid: dict.fromkeys(KIND_COLUMNS.values(), 0) for cid in company_ids
        }
        for cid, kind, count in contributions:
            kinds[cid][KIND_COLUMNS[kind]] = count
        result = {}
        for cid in company_ids:
            pv, uv = traffic.get(cid, (0, 0))
            lurker = pv > self.threshold and sum(kinds[cid].values()) == 0
            result[cid] = (pv, uv, kinds[cid], lurker)
        return result

    def inactive(self, first: date, last: date, limit: int) -> dict[str, Any]:
        """Customers without a view in the range, most recently seen first."""
        sql = (
            f"WITH {self._common(first, last)},"
            " seen AS (SELECT company_id, MAX(occurred_at) AS seen FROM views"
            " WHERE company_id IS NOT NULL GROUP BY company_id)"
            " SELECT c.id, epoch_us(s.seen), COUNT(*) OVER () FROM companies c"
            " JOIN customers cu ON cu.company_id = c.id"
            " LEFT JOIN seen s ON s.company_id = c.id"
            " WHERE c.id NOT IN (SELECT company_id FROM inrange"
            " WHERE company_id IS NOT NULL)"
            " ORDER BY s.seen DESC NULLS LAST, lower(c.name), c.id LIMIT ?"
        )
        rows = self.rows(sql, [limit])
        return {
            "total_count": rows[0][2] if rows else 0,
            "rows": [(company_id, seen) for company_id, seen, _ in rows],
        }

    def company_totals(
        self, relinked: dict[int, int] | None = None
    ) -> dict[int, tuple[int, int]]:
        """(page views, visitors) per company over all time, after ``relinked``."""
        pairs = relinked or {}
        self.db.execute(
            "CREATE OR REPLACE TEMP TABLE relink AS SELECT UNNEST(?) AS member_id,"
            " UNNEST(?) AS company_id",
            [list(pairs), list(pairs.values())],
        )
        rows = self.rows(
            "SELECT COALESCE(r.company_id, v.company_id) AS company, COUNT(*),"
            " COUNT(DISTINCT v.member_id) FROM views v"
            " LEFT JOIN relink r ON r.member_id = v.member_id"
            " WHERE COALESCE(r.company_id, v.company_id) IS NOT NULL GROUP BY company"
        )
        return {company: (views, visitors) for company, views, visitors in rows}
