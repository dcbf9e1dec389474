"""A fake Salesforce org over TLS on loopback, and a community connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import trustme
from cryptography.fernet import Fernet

from demo.salesforce_fake import TOKEN, FakeSalesforce
from domain.models import Community, SalesforceAuth
from domain.salesforce.client import CallPolicy
from domain.salesforce.connection import ConnectionSettings, save_connection
from domain.salesforce.reader import ReadOptions
from domain.salesforce.sync import SyncOptions, SyncReport, sync_salesforce
from tests import factories as f

FAST = SyncOptions(
    read=ReadOptions(chunk=10_000),
    calls=CallPolicy(retry_pause=0.01, batch_size=200),
)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ENGAGEMENT_SECRET_KEY", key)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return key


@pytest.fixture
def org(ca: trustme.CA) -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(ca)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
async def community(db: str) -> Community:
    return await f.community("UTC")


def session_settings(org: FakeSalesforce, **overrides: Any) -> ConnectionSettings:
    """A session-id connection to the fake, trusting it through its CA bundle."""
    settings = ConnectionSettings(
        auth=SalesforceAuth.SESSION,
        instance_url=org.url,
        access_token=TOKEN,
        ca_bundle=org.ca_pem(),
    )
    return replace(settings, **overrides)


@pytest.fixture
async def connected(community: Community, org: FakeSalesforce) -> Community:
    await save_connection(community.id, session_settings(org))
    return community


async def connect(community: Community, org: FakeSalesforce, **overrides: Any) -> None:
    await save_connection(community.id, session_settings(org, **overrides))


async def sync(
    community: Community, full: bool = False, chunk: int = 10_000, **calls: Any
) -> SyncReport:
    options = replace(
        FAST, read=replace(FAST.read, chunk=chunk), calls=replace(FAST.calls, **calls)
    )
    return await sync_salesforce(community.id, full=full, options=options)
