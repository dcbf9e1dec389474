"""``engagement salesforce``: configure a community's connection, try it, sync it.

Secrets are read from a prompt (hidden) or from the environment, never from
the command line, where other users could read them in the process list.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from cli.runtime import run
from domain.communities import get_community
from domain.models import SalesforceAuth
from domain.salesforce.check import check_connection
from domain.salesforce.connection import ConnectionSettings, save_connection
from domain.salesforce.errors import RateLimited, SalesforceSyncError
from domain.salesforce.sync import sync_salesforce
from workers.queue import drain, enqueue_enrichment

# The secret each login needs, and the variable that may hold it.
SECRET_VARIABLES = {
    SalesforceAuth.PASSWORD: [("password", "SALESFORCE_PASSWORD"),
                              ("security_token", "SALESFORCE_SECURITY_TOKEN")],
    SalesforceAuth.JWT: [],
    SalesforceAuth.SESSION: [("access_token", "SALESFORCE_ACCESS_TOKEN")],
}  # fmt: skip


@click.group()
def salesforce() -> None:
    """Connect a community to Salesforce and sync its accounts and contacts."""


def _secret(name: str, variable: str, prompt: bool) -> str | None:
    value = os.environ.get(variable)
    if value is None and prompt:
        value = click.prompt(
            name.replace("_", " "), hide_input=True, default="", show_default=False
        )
    return value or None


def _read(path: Path | None) -> str | None:
    return path.read_text(encoding="utf-8") if path is not None else None


@salesforce.command("configure")
@click.option("--community", "community_id", required=True, type=int)
@click.option(
    "--auth",
    type=click.Choice([a.value for a in SalesforceAuth]),
    required=True,
    help="password, jwt or session (an access token).",
)
@click.option(
    "--domain",
    default="login",
    show_default=True,
    help="login, test (sandbox) or a My Domain like acme.my.",
)
@click.option("--instance-url", help="The org's https URL (session login).")
@click.option("--username", help="The sync user (password and jwt logins).")
@click.option("--consumer-key", help="The connected app's consumer key (jwt).")
@click.option("--private-key-file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, path_type=Path),
    help="PEM certificates to trust instead of the system's.",
)
@click.option("--status-field", default="Type", show_default=True)
@click.option(
    "--customer-value",
    "customer_values",
    multiple=True,
    help="A value meaning customer; repeat for several (default Customer).",
)
@click.option("--customer-since-field")
@click.option("--churn-date-field")
@click.option("--domain-field", default="Website", show_default=True)
@click.option("--extra-filter", help="A SOQL condition accounts must also meet.")
@click.option("--link-by-email-domain", is_flag=True)
@click.option(
    "--no-prompt", is_flag=True, help="Read secrets only from the environment."
)
def configure(
    community_id: int,
    auth: str,
    private_key_file: Path | None,
    ca_bundle: Path | None,
    customer_values: tuple[str, ...],
    no_prompt: bool,
    **options: Any,
) -> None:
    """Store a community's Salesforce connection (secrets encrypted)."""
    method = SalesforceAuth(auth)
    secrets: dict[str, Any] = {
        name: _secret(name, variable, not no_prompt)
        for name, variable in SECRET_VARIABLES[method]
    }
    settings = ConnectionSettings(
        auth=method,
        private_key=_read(private_key_file),
        ca_bundle=_read(ca_bundle),
        customer_values=customer_values or ("Customer",),
        **secrets,
        **options,
    )

    async def work() -> list[str]:
        await get_community(community_id)
        _, summary = await save_connection(community_id, settings)
        return summary.secrets_set

    stored = run(work)
    click.echo(f"connection saved; secrets stored: {', '.join(stored) or 'none'}")


@salesforce.command("test")
@click.option("--community", "community_id", required=True, type=int)
def test_connection(community_id: int) -> None:
    """Log in and check the mapping; exits with 1 when a sync could not run."""
    check = run(lambda: check_connection(community_id))
    click.echo(json.dumps(_jsonable(vars(check)), indent=2))
    if not check.ok:
        raise click.exceptions.Exit(1)


@salesforce.command("sync")
@click.option("--community", "community_id", required=True, type=int)
@click.option("--full", is_flag=True, help="Read everything, not only changes.")
def sync(community_id: int, full: bool) -> None:
    """Sync now, in this process; exits with 75 when Salesforce's limit is reached.

    Members whose link changed are re-attributed before it returns (or queued
    for the workers when REDIS_URL is set).
    """

    async def work() -> dict[str, Any]:
        report = await sync_salesforce(community_id, full=full)
        job = await enqueue_enrichment(community_id, report.relinked_members)
        await drain()
        return {**report.as_result(), "enrichmentJob": job.id if job else None}

    try:
        result = run(work)
    except RateLimited as error:
        click.echo(f"{error}; committed work is kept, run again later", err=True)
        raise click.exceptions.Exit(75) from None  # EX_TEMPFAIL
    except SalesforceSyncError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(result, indent=2))


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if hasattr(value, "__dict__"):
        return _jsonable(vars(value))
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value
