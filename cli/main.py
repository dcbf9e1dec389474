"""``engagement``: migrate, create communities and keys, and the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import import_module
from typing import Any

import click

from cli.imports import import_group
from cli.logs import configure as configure_logging
from cli.logs import quiet as quiet_logs
from cli.runtime import run
from cli.salesforce import salesforce
from domain.apikeys import create_api_key
from domain.communities import create_community, get_community
from domain.db import migrate_database
from domain.models import Role
from domain.settings import load_checked_settings, load_settings


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
def main(verbose: bool) -> None:
    """Community engagement: how much of your customer base your community reaches."""
    settings = _check(load_checked_settings)
    configure_logging(verbose, settings.is_production)


def _check(read_settings: Callable[[], Any]) -> Any:
    """Settings read from the environment; a bad one stops the command clearly."""
    try:
        return read_settings()
    except ValueError as error:
        raise click.ClickException(str(error)) from None


@main.command()
def migrate() -> None:
    """Apply the committed database migrations."""
    asyncio.run(migrate_database())
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes serving requests. With more than one, run `engagement worker`"
    " (REDIS_URL) for jobs and schedules.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the GraphQL API, the ingestion endpoint and the dashboard."""
    import uvicorn

    from api.app import create_app
    from workers.schedule import load_schedule

    settings = load_settings()
    _check(load_schedule)
    if not settings.is_production:  # in production a release step migrates
        asyncio.run(migrate_database())
    if workers == 1:
        app = create_app(settings, clock=True)
        uvicorn.run(app, host=host, port=port, access_log=False)
        return
    # Several processes: none keeps the in-process clock, so nothing runs twice.
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
    )


@main.command()
def worker() -> None:
    """Run an ARQ worker for the queue at REDIS_URL."""
    from arq import run_worker

    if not load_settings().redis_url:
        raise click.ClickException(
            "REDIS_URL is not set: jobs run inside `serve` instead"
        )
    worker_settings = _check(lambda: import_module("workers.worker").WorkerSettings)
    asyncio.run(migrate_database())
    run_worker(worker_settings)


@main.command()
@click.option(
    "--size",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="A year of a small community, or two of a big one.",
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Keep serving the API and dashboard after loading.",
)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, hidden=True)
def demo(size: str, serve: bool, port: int, as_of) -> None:
    """Load a demo community end to end, then serve it on 127.0.0.1."""
    from demo.run import run_demo

    quiet_logs()  # the progress bars tell the story
    asyncio.run(run_demo(size, serve, port, as_of.date() if as_of else None))


@main.command("export-schema")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default="schema.graphql",
    show_default=True,
)
def export_schema(output: str) -> None:
    """Write the GraphQL schema, with its descriptions, as SDL."""
    from api.schema import schema

    with open(output, "w", encoding="utf-8") as handle:
        handle.write(schema.as_str() + "\n")
    click.echo(f"wrote {output}")


@main.group()
def community() -> None:
    """Manage communities."""


@community.command("create")
@click.argument("name")
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA reporting time zone."
)
@click.option("--lurker-threshold", default=0, show_default=True, type=int)
def community_create(name: str, timezone: str, lurker_threshold: int) -> None:
    """Create a community and print its id and first admin key."""

    async def work() -> tuple[int, str]:
        created = await create_community(name, timezone, lurker_threshold)
        issued = await create_api_key(created.id, Role.ADMIN, "first admin key")
        return created.id, issued.secret

    community_id, secret = run(work, migrate=True)
    click.echo(f"community id: {community_id}")
    click.echo(f"admin key (shown once): {secret}")


@main.group()
def apikey() -> None:
    """Manage API keys."""


@apikey.command("create")
@click.option("--community", "community_id", required=True, type=int)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="A label to recognise the key by.")
def apikey_create(community_id: int, role: str, name: str) -> None:
    """Issue an API key and print it once."""

    async def work() -> str:
        await get_community(community_id)
        return (await create_api_key(community_id, role, name)).secret

    click.echo(f"{role} key (shown once): {run(work)}")


main.add_command(import_group)
main.add_command(salesforce)
