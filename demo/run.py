"""``engagement demo``: load a demo community through the public interfaces.

The steps a real deployment goes through, in order: a community and its keys;
members identified through the ingestion endpoint; accounts and contacts synced
from a Salesforce org (a local fake speaking the real wire format), with their
status history replayed month by month; a year or two of page views and
contributions, with late links and re-links, as Segment batches; and then the
enrichment jobs, awaited. Everything after the first step goes over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

import click
import trustme
import uvicorn
from cryptography.fernet import Fernet

from api.app import create_app
from demo.client import Service
from demo.generator import World, build_world, page_views
from demo.salesforce_fake import TOKEN, FakeSalesforce
from domain.apikeys import create_api_key
from domain.communities import create_community
from domain.db import close_database, migrate_database, open_database
from domain.models import Role
from domain.settings import Settings

DEMO_DATABASE = "engagement-demo.sqlite3"
BATCH = 500
JOB_TIMEOUT = 600


@dataclass(frozen=True)
class Keys:
    admin: str
    integration: str
    viewer: str


async def create_tenant(world: World, database_url: str) -> Keys:
    """The community and its three keys: the one step not done over HTTP."""
    await migrate_database(database_url)
    await open_database(database_url)
    try:
        community = await create_community("Demo community", world.timezone)
        keys = [
            await create_api_key(community.id, role, f"demo {role.value}")
            for role in (Role.ADMIN, Role.INTEGRATION, Role.VIEWER)
        ]
    finally:
        await close_database()
    return Keys(*(key.secret for key in keys))


def fresh_database() -> str:
    """``DATABASE_URL``, or a new SQLite file of the demo's own."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(DEMO_DATABASE + suffix).unlink(missing_ok=True)
    return f"sqlite://{DEMO_DATABASE}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def check_port(port: int) -> None:
    """Stop before loading anything when the port to serve on is taken."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(
                f"port {port} on 127.0.0.1 is in use; pick another with --port"
            ) from None


def _batches(items: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


async def identify_members(service: Service, world: World) -> None:
    messages = [
        {
            "type": "identify",
            "messageId": f"demo-identify-{m.external_id}",
            "userId": m.external_id,
            "traits": {"email": m.email},
        }
        for m in world.members
    ]
    with click.progressbar(length=len(messages), label="members        ") as bar:
        for batch in _batches(messages):
            await service.send_batch(batch)
            bar.update(len(batch))


def open_org(world: World) -> FakeSalesforce:
    """The org as it stood when the world began, served on 127.0.0.1."""
    org = FakeSalesforce(ca=trustme.CA(), clock=world.instant(0))
    for account in world.accounts:
        org.add_account(
            account.name,
            account.history[0][1],
            Id=account.id,
            Website=account.website,
            stamp=world.instant(0),
        )
    for contact_id, account_id, email in world.contacts:
        org.add_contact(email, account_id, Id=contact_id, stamp=world.instant(0))
    org.start()
    return org


CONFIGURE = """
mutation($url: String!, $token: String!, $ca: String!) {
  configureSalesforce(input: {
    auth: SESSION, instanceUrl: $url, accessToken: $token, caBundle: $ca,
    customerSinceField: "Customer_Since__c", churnDateField: "Churn_Date__c"
  }) { userErrors { field message code } }
}
"""
SYNC = """
mutation($full: Boolean!) {
  syncSalesforce(full: $full) { job { id } userErrors { field message code } }
}
"""


async def sync(service: Service, full: bool = False) -> dict:
    payload = await service.mutate(SYNC, "syncSalesforce", full=full)
    async with asyncio.timeout(JOB_TIMEOUT):
        return await service.wait_for_job(payload["job"]["id"])


async def sync_history(service: Service, world: World, org: FakeSalesforce) -> None:
    """Replay every later status change in the org, syncing once a month."""
    await service.mutate(
        CONFIGURE, "configureSalesforce", url=org.url, token=TOKEN, ca=org.ca_pem()
    )
    await sync(service, full=True)
    changes = sorted(
        (at, account.id, status)
        for account in world.accounts
        for at, status in account.history[1:]
        if at is not None
    )
    months = sorted({(at.year, at.month) for at, _, _ in changes})
    with click.progressbar(months, label="salesforce sync") as bar:
        for month in bar:
            for at, account_id, status in changes:
                if (at.year, at.month) == month:
                    _change_status(org, world, account_id, at, status)
            await sync(service)


def _change_status(
    org: FakeSalesforce, world: World, account_id: str, at, status: str
) -> None:
    day = at.astimezone(world.zone).date().isoformat()
    field = "Customer_Since__c" if status == "Customer" else "Churn_Date__c"
    org.clock = at
    org.update(account_id, stamp=at, Type=status, **{field: day})


async def send_activity(service: Service, world: World) -> int:
    """Every page view and contribution, with the group calls at their moments."""
    regroups = sorted(
        (m.regroup[0], m.external_id, m.regroup[1]) for m in world.members if m.regroup
    )
    pending = iter(regroups)
    upcoming = next(pending, None)
    sent = 0
    with click.progressbar(length=world.days, label="activity       ") as bar:
        for batch in _batches(page_views(world)):
            last = batch[-1]["timestamp"]
            while upcoming and upcoming[0].isoformat() <= last:
                batch.append(_group(*upcoming))
                upcoming = next(pending, None)
            await service.send_batch(batch)
            sent += len(batch)
            bar.update(world.day_of(last) - bar.pos)
    rest = [_group(*r) for r in ([upcoming] if upcoming else []) + list(pending)]
    for batch in _batches(rest):
        await service.send_batch(batch)
    return sent


def _group(at, external_id: str, account_id: str) -> dict:
    return {
        "type": "group",
        "messageId": f"demo-group-{external_id}-{at:%Y%m%d}",
        "userId": external_id,
        "groupId": account_id,
        "timestamp": at.isoformat(),
    }


SAMPLE = """
query Sample($fromMonth: Month!, $toMonth: Month!, $from: Date!, $to: Date!) {
  monthlyActivity(from: $fromMonth, to: $toMonth) {
    month activeCustomers inactiveCustomers totalCustomers activeRate
  }
  engagementSummary(from: $from, to: $to) {
    activeCustomers inactiveCustomers totalCustomers activeRate
    pageViews uniqueVisitors anonymousPageViews
  }
}
"""


def sample_variables(world: World) -> dict[str, str]:
    last = world.last_month
    return {
        "fromMonth": f"{world.start:%Y-%m}",
        "toMonth": f"{last:%Y-%m}",
        "from": world.start.isoformat(),
        "to": world.last_day.isoformat(),
    }


async def load(service: Service, world: World) -> dict:
    """Drive the service through every step; return the sample query's answer."""
    await identify_members(service, world)
    org = open_org(world)
    try:
        await sync_history(service, world, org)
    finally:
        org.stop()
    await send_activity(service, world)
    async with asyncio.timeout(JOB_TIMEOUT):
        await service.wait_for_all_jobs()
    return await service.graphql(SAMPLE, key=None, **sample_variables(world))


async def run_demo(
    size: str, serve: bool, port: int, as_of: date | None = None
) -> dict:
    """The whole demo; serves until interrupted unless ``serve`` is off."""
    if serve:
        check_port(port)
    world = build_world(size, today=as_of)
    database_url = fresh_database()
    os.environ.setdefault("ENGAGEMENT_SECRET_KEY", _demo_secret_key())
    keys = await create_tenant(world, database_url)

    settings = Settings(
        database_url=database_url, redis_url=None, environment="development"
    )
    port = port if serve else _free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to await
        await asyncio.sleep(0.05)

    service = Service(f"http://127.0.0.1:{port}", keys.admin, keys.integration)
    try:
        answer = await load(service, world)
        where = service.base_url if serve else None
        _print_answer(where, database_url, keys, world, answer)
    finally:
        await service.close()
    if not serve:
        server.should_exit = True
    await serving
    return answer


def _demo_secret_key() -> str:
    return Fernet.generate_key().decode()


def _print_answer(
    base_url: str | None, database_url: str, keys: Keys, world: World, answer: dict
) -> None:
    click.echo("")
    if base_url is None:
        click.echo(
            f"Loaded. Serve it with: DATABASE_URL={database_url} engagement serve"
        )
    else:
        click.echo(f"GraphiQL:    {base_url}/graphql")
        click.echo(f"Dashboard:   {base_url}/")
    click.echo(f"Viewer key:  {keys.viewer}")
    click.echo("Sample query (variables: " + json.dumps(sample_variables(world)) + "):")
    click.echo(SAMPLE.strip())
    click.echo("Answer:")
    click.echo(json.dumps(answer, indent=2))
