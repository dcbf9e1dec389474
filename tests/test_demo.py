"""``engagement demo`` answers what a naive count of its generated data says."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest

from demo.generator import World, build_world, page_views

AS_OF = date(2026, 12, 4)


def _periods(history: list) -> list[tuple[datetime | None, datetime | None]]:
    periods, start, inside = [], None, False
    for at, status in history:
        if status == "Customer" and not inside:
            start, inside = at, True
        elif status != "Customer" and inside:
            periods.append((start, at))
            inside = False
    if inside:
        periods.append((start, None))
    return periods


def _overlaps(periods, start: datetime, end: datetime) -> bool:
    return any((a is None or a < end) and (b is None or b > start) for a, b in periods)


def _month_bounds(world: World) -> list[tuple[str, datetime, datetime]]:
    bounds, year, month = [], world.start.year, world.start.month
    for _ in range(world.months):
        start = datetime(year, month, 1, tzinfo=world.zone).astimezone(UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = datetime(year, month, 1, tzinfo=world.zone).astimezone(UTC)
        bounds.append((f"{start.astimezone(world.zone):%Y-%m}", start, end))
    return bounds


def naive_answer(world: World) -> dict:
    """Counted from the generator's output with plain loops, nothing else."""
    final = {m.external_id: m.final_account for m in world.members}
    periods = {a.id: _periods(a.history) for a in world.accounts}
    months = _month_bounds(world)
    viewed: dict[str, set[str]] = defaultdict(set)
    views = anonymous = 0
    visitors: set[str] = set()
    for message in page_views(world):
        if message["type"] != "page":
            continue
        views += 1
        user = message.get("userId")
        if user is None:
            anonymous += 1
            continue
        visitors.add(user)
        at = datetime.fromisoformat(message["timestamp"])
        label = f"{at.astimezone(world.zone):%Y-%m}"
        if final[user]:
            viewed[label].add(final[user])

    monthly = []
    for label, start, end in months:
        customers = {a for a, p in periods.items() if _overlaps(p, start, end)}
        active = len(customers & viewed[label])
        monthly.append(
            {
                "month": label,
                "activeCustomers": active,
                "inactiveCustomers": len(customers) - active,
                "totalCustomers": len(customers),
                "activeRate": active / len(customers) if customers else None,
            }
        )
    in_range = {
        a for a, p in periods.items() if _overlaps(p, months[0][1], months[-1][2])
    }
    active = len(in_range & set().union(*viewed.values()))
    summary = {
        "activeCustomers": active,
        "inactiveCustomers": len(in_range) - active,
        "totalCustomers": len(in_range),
        "activeRate": active / len(in_range),
        "pageViews": views,
        "uniqueVisitors": len(visitors),
        "anonymousPageViews": anonymous,
    }
    return {"monthlyActivity": monthly, "engagementSummary": summary}


def _rounded(value):
    """Rates to nine places, so float division order cannot matter."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value


def _printed_answer(stdout: str) -> dict:
    return json.loads(stdout.split("Answer:\n", 1)[1])


@pytest.mark.timeout(600)
async def test_the_demo_answers_what_its_data_says(database_url, db):
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)

    run = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "cli",
            "demo",
            "--no-serve",
            "--size",
            "small",
            "--as-of",
            AS_OF.isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=580,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    answer = _printed_answer(run.stdout)
    expected = naive_answer(build_world("small", today=AS_OF))
    assert _rounded(answer) == _rounded(expected)
    assert len(answer["monthlyActivity"]) == 12
