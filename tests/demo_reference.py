"""What ``engagement demo`` must answer, counted naively from its generated data.

The test of the demo uses it, and so does CI on the demo's printed output:

    python -m tests.demo_reference OUTPUT_FILE [--size small|large]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from demo.generator import World, build_world, page_views


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


def rounded(value):
    """Rates to nine places, so float division order cannot matter."""
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value


def printed_answer(stdout: str) -> dict:
    """The JSON answer the demo printed after its sample query."""
    return json.loads(stdout.split("Answer:\n", 1)[1])


def printed_world(stdout: str, size: str) -> World:
    """The world the demo generated, recovered from the range it printed."""
    variables = re.search(r"Sample query \(variables: (\{.*\})\):", stdout)
    if variables is None:
        raise ValueError("the output holds no sample query variables")
    last_day = date.fromisoformat(json.loads(variables[1])["to"])
    return build_world(size, today=last_day + timedelta(days=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="what the demo printed")
    parser.add_argument("--size", choices=("small", "large"), default="small")
    args = parser.parse_args(argv)

    stdout = args.output.read_text()
    expected = naive_answer(printed_world(stdout, args.size))
    if rounded(printed_answer(stdout)) != rounded(expected):
        print("the demo's answer differs from the naive count:", file=sys.stderr)
        print(json.dumps(expected, indent=2), file=sys.stderr)
        return 1
    months = len(expected["monthlyActivity"])
    print(f"the demo's answer matches the naive count ({months} months)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
