"""``engagement salesforce``: configure and sync from the command line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date

from demo.salesforce_fake import TOKEN
from domain.metrics import company_traffic
from domain.models import Company, SalesforceConnection
from tests import factories as f
from tests.salesforce.test_contacts import member


def engagement_salesforce(database_url: str, *args: str, **env: str):
    environment = {**os.environ, "DATABASE_URL": database_url, **env}
    return subprocess.run(
        [sys.executable, "-m", "cli", "salesforce", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_configure_then_sync_from_the_command_line(
    community, org, database_url, tmp_path
):
    bundle = tmp_path / "ca.pem"
    bundle.write_text(org.ca_pem())
    acme = org.add_account("Acme", "Customer")
    org.add_contact("ada@acme.example", acme)
    await member(community, "ada", "ada@acme.example")
    await f.views(
        community, "ada", f.utc("2024-03-05T10:00"), f.utc("2024-04-01T10:00")
    )
    configure = (
        "configure",
        "--community",
        str(community.id),
        "--auth",
        "session",
        "--instance-url",
        org.url,
        "--ca-bundle",
        str(bundle),
        "--no-prompt",
    )

    configured = await asyncio.to_thread(
        engagement_salesforce, database_url, *configure, SALESFORCE_ACCESS_TOKEN=TOKEN
    )
    synced = await asyncio.to_thread(
        engagement_salesforce, database_url, "sync", "--community", str(community.id)
    )

    assert configured.returncode == 0, configured.stderr
    assert "secrets stored: access_token" in configured.stdout
    assert TOKEN not in configured.stdout + configured.stderr
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["accounts"]["created"] == 1
    assert await SalesforceConnection.exists(community_id=community.id)
    company = await Company.get(community_id=community.id)
    traffic = await company_traffic(community, date(2024, 1, 1), date(2024, 12, 31))
    assert traffic[company.id]["page_views"] == 2
