"""The dashboard's first screen over HTTP: one viewer, then many at once.

Runs against a database that ``bench.load`` filled: starts the API with
uvicorn in production mode on 127.0.0.1, makes a viewer key for the bench
community, and asks the first screen's query (12 months of activity, the
range summary, the first 50 customers by page views with their engagement).

    .venv/bin/python -m bench.dashboard_http --views 10000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/engagement_bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    COMMUNITY_NAME,
    check_local,
    data_dir,
    free_port,
    read_meta,
    serve_api,
    write_results,
)
from domain.apikeys import create_api_key, revoke_api_key
from domain.db import close_database, open_database
from domain.models import Community, Role

FIRST_SCREEN = """
query FirstScreen($fromMonth: Month!, $toMonth: Month!, $from: Date!, $to: Date!) {
  monthlyActivity(from: $fromMonth, to: $toMonth) {
    month activeCustomers inactiveCustomers totalCustomers activeRate
  }
  engagementSummary(from: $from, to: $to) {
    activeCustomers inactiveCustomers totalCustomers activeRate
    pageViews uniqueVisitors anonymousPageViews
  }
  customers(from: $from, to: $to, orderBy: PAGE_VIEWS, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name lastSeenAt
      engagement(from: $from, to: $to) {
        uniqueVisitors pageViews lurker contributions { total }
      }
    } }
  }
}
"""


def first_screen_variables(meta: dict[str, Any]) -> dict[str, str]:
    """The last 12 months of the data, and a year-long range off month edges."""
    last = date.fromisoformat(meta["last_day"])
    to_month = last.replace(day=1)
    from_month = (to_month - timedelta(days=335)).replace(day=1)
    return {
        "fromMonth": f"{from_month:%Y-%m}",
        "toMonth": f"{to_month:%Y-%m}",
        "from": (from_month + timedelta(days=14)).isoformat(),
        "to": (last - timedelta(days=16)).isoformat(),
    }


async def viewer_key(url: str) -> tuple[int, str]:
    """A fresh viewer key of the bench community (revoked when the run ends)."""
    await open_database(url)
    try:
        community = await Community.get(name=COMMUNITY_NAME)
        key = await create_api_key(community.id, Role.VIEWER, "bench.dashboard_http")
    finally:
        await close_database()
    return key.record.id, key.secret


async def drop_key(url: str, key_id: int) -> None:
    await open_database(url)
    try:
        community = await Community.get(name=COMMUNITY_NAME)
        await revoke_api_key(community.id, key_id)
    finally:
        await close_database()


async def ask(client: httpx.AsyncClient, variables: dict[str, str]) -> float:
    """One first screen; its latency in milliseconds. Any error stops the run."""
    started = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": FIRST_SCREEN, "variables": variables}
    )
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"the first screen failed: {response.status_code} {body}")
    if len(body["data"]["customers"]["edges"]) != 50:
        raise SystemExit("the first screen did not list 50 customers")
    return elapsed


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def one_viewer(client: httpx.AsyncClient, variables: dict, runs: int) -> dict:
    for _ in range(3):
        await ask(client, variables)
    samples = [await ask(client, variables) for _ in range(runs)]
    return {
        "runs": runs,
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
    }


async def many_viewers(
    client: httpx.AsyncClient, variables: dict, viewers: int, seconds: float
) -> dict:
    samples: list[float] = []
    deadline = time.monotonic() + seconds

    async def viewer() -> None:
        while time.monotonic() < deadline:
            samples.append(await ask(client, variables))

    started = time.monotonic()
    await asyncio.gather(*(viewer() for _ in range(viewers)))
    elapsed = time.monotonic() - started
    return {
        "viewers": viewers,
        "seconds": round(elapsed, 1),
        "requests": len(samples),
        "errors": 0,  # any error ends the run above
        "per_s": round(len(samples) / elapsed, 1),
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    variables = first_screen_variables(read_meta(args.data or data_dir(args.views)))
    key_id, secret = await viewer_key(args.database_url)
    port = free_port()
    if args.forget:
        os.environ["ENGAGEMENT_REMEMBER_ANSWERS"] = "off"
    server = serve_api(args.database_url, port, args.server_workers)
    limits = httpx.Limits(max_connections=args.viewers)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=60,
            limits=limits,
        ) as client:
            single = await one_viewer(client, variables, args.runs)
            crowd = await many_viewers(client, variables, args.viewers, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        await drop_key(args.database_url, key_id)
    return {
        "variables": variables,
        "server_workers": args.server_workers,
        "remembered_answers": not args.forget,
        "one_viewer": single,
        "many_viewers": crowd,
        "targets": {"one_viewer_median_ms": 150, "many_viewers_p95_ms": 500},
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, help="default: bench/data/views-N")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument(
        "--forget",
        action="store_true",
        help="serve with ENGAGEMENT_REMEMBER_ANSWERS=off: every request computes",
    )
    args = parser.parse_args()
    check_local(args.database_url)

    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    write_results("dashboard-http", result)


if __name__ == "__main__":
    main()
