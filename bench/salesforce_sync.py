"""Benchmark: a full Salesforce sync of 50,000 accounts, then 100 changes.

    .venv/bin/python -m bench.salesforce_sync [--accounts 50000] [--changes 100]
        [--database-url sqlite:///tmp/sf-bench.sqlite3]

The fake org (demo/salesforce_fake.py) runs in a process of its own, so it
does not share the sync's interpreter, and is reached over TLS on 127.0.0.1.
Targets: the full sync within 60 s, the incremental run within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import tempfile
import time
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

from cryptography.fernet import Fernet

from bench.common import backend_of, check_local, fresh_database, write_results

ACCOUNTS = 50_000
CHANGES = 100
FULL_TARGET_S = 60.0
INCREMENTAL_TARGET_S = 2.0


def _serve(pipe: Connection) -> None:
    """The fake org's process: answers commands until told to stop."""
    import trustme

    from demo.salesforce_fake import FakeSalesforce

    org = FakeSalesforce(trustme.CA())
    pipe.send((org.start(), org.ca_pem()))
    while True:
        command, count = pipe.recv()
        if command == "populate":
            _populate(org, count)
        elif command == "change":
            _change(org, count)
        elif command == "usage":
            pass
        else:
            break
        pipe.send(org.api_used)
    org.stop()


def _populate(org: Any, count: int) -> None:
    kinds = ["Customer", "Prospect", "Partner", "Customer", None]
    for number in range(count):
        stamp = org.tick(60) if number % 7 else org.clock  # some stamps shared
        org.add_account(
            f"Company {number:05d} GmbH & Cie — Société {number % 97}",
            kinds[number % len(kinds)],
            Website=f"https://www.company{number}.example",
            stamp=stamp,
        )


def _change(org: Any, count: int) -> None:
    org.tick(3600)
    for account_id in list(org.accounts)[:count]:
        current = org.accounts[account_id]["Type"]
        org.update(account_id, Type="Customer" if current != "Customer" else "Churned")


async def _measure(
    url: str, ca_pem: str, database_url: str, pipe: Connection, size: tuple[int, int]
) -> dict[str, Any]:
    accounts, changes = size
    from demo.salesforce_fake import TOKEN
    from domain.communities import create_community
    from domain.db import close_database, migrate_database, open_database
    from domain.models import Company, CustomerPeriod, SalesforceAuth
    from domain.salesforce.connection import ConnectionSettings, save_connection
    from domain.salesforce.reader import ReadOptions
    from domain.salesforce.sync import SyncOptions, sync_salesforce

    if backend_of(database_url) == "postgres":
        await fresh_database(database_url)
    await migrate_database(database_url)
    await open_database(database_url)
    try:
        community = await create_community(f"Salesforce bench {time.time():.0f}")
        settings = ConnectionSettings(
            auth=SalesforceAuth.SESSION, instance_url=url, access_token=TOKEN,
            ca_bundle=ca_pem,
        )  # fmt: skip
        await save_connection(community.id, settings)
        options = SyncOptions(read=ReadOptions(overlap=timedelta(minutes=10)))

        started = time.perf_counter()
        full = await sync_salesforce(community.id, options=options)
        full_s = time.perf_counter() - started

        pipe.send(("change", changes))
        pipe.recv()
        started = time.perf_counter()
        incremental = await sync_salesforce(community.id, options=options)
        incremental_s = time.perf_counter() - started

        companies = await Company.filter(community_id=community.id).count()
        periods = await CustomerPeriod.filter(community_id=community.id).count()
    finally:
        await close_database()
    return {
        "database": database_url.split("://", 1)[0],
        "accounts": accounts,
        "companies": companies,
        "customer_periods": periods,
        "full_s": round(full_s, 2),
        "full_pages": full.pages,
        "full_target_s": FULL_TARGET_S,
        "changes": changes,
        "incremental_s": round(incremental_s, 3),
        "incremental_seen": incremental.accounts.seen,
        "incremental_status_changes": incremental.accounts.status_changes,
        "incremental_target_s": INCREMENTAL_TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    parser.add_argument("--changes", type=int, default=CHANGES)
    default_db = (
        f"sqlite://{tempfile.gettempdir()}/salesforce-bench-{os.getpid()}.sqlite3"
    )
    parser.add_argument("--database-url", default=default_db)
    args = parser.parse_args()
    check_local(args.database_url)
    os.environ.setdefault("ENGAGEMENT_SECRET_KEY", Fernet.generate_key().decode())

    here, there = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(there,))
    server.start()
    try:
        url, ca_pem = here.recv()
        here.send(("populate", args.accounts))
        here.recv()
        size = (args.accounts, args.changes)
        result = asyncio.run(_measure(url, ca_pem, args.database_url, here, size))
    finally:
        here.send(("stop", 0))
        server.join(timeout=10)
    path = write_results("salesforce_sync", result)
    for name, value in result.items():
        print(f"{name:>28}: {value}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
