"""The connection: its validation, its encrypted secrets, and whom its TLS trusts."""

from __future__ import annotations

import os

import pytest
import requests

from demo.salesforce_fake import TOKEN
from domain.db import fetch
from domain.errors import DomainError
from domain.models import SalesforceAuth, SalesforceConnection
from domain.salesforce.client import ConnectionSession, ca_file_for, client_kwargs
from domain.salesforce.connection import ConnectionSettings, save_connection
from domain.salesforce.errors import ConfigurationError
from tests.salesforce.conftest import connect, session_settings, sync

PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n"


async def test_secrets_are_encrypted_at_rest_and_never_echoed(community, org):
    _, summary = await save_connection(
        community.id, session_settings(org, password=None)
    )

    [row] = await fetch(
        "SELECT * FROM salesforce_connection WHERE community_id = ?", [community.id]
    )
    assert TOKEN not in str(row)
    assert summary.secrets_set == ["access_token"]
    assert TOKEN not in repr(summary)


async def test_saving_without_the_secret_key_is_a_clear_error(
    community, org, monkeypatch
):
    monkeypatch.delenv("ENGAGEMENT_SECRET_KEY")

    with pytest.raises(DomainError, match="ENGAGEMENT_SECRET_KEY is not set"):
        await save_connection(community.id, session_settings(org))

    assert not await SalesforceConnection.exists(community_id=community.id)


async def test_a_changed_secret_key_stops_the_sync_with_a_clear_error(
    connected, org, monkeypatch
):
    monkeypatch.setenv("ENGAGEMENT_SECRET_KEY", "A" * 43 + "=")

    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        await sync(connected)


async def test_an_omitted_secret_keeps_the_stored_one(connected, org):
    await connect(connected, org, access_token=None, status_field="Industry")
    org.add_account("Acme", "Customer", Industry="Customer")

    report = await sync(connected)

    assert report.accounts.created == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"domain": "login.salesforce.com"}, "domain"),
        ({"instance_url": "http://127.0.0.1:1"}, "instanceUrl"),
        ({"ca_bundle": "not a certificate"}, "caBundle"),
        ({"status_field": "Type; DROP"}, "statusField"),
        ({"customer_values": ("  ",)}, "customerValues"),
        ({"extra_filter": "Name = 'x' LIMIT 5"}, "extraFilter"),
        ({"extra_filter": "(Name = 'x'"}, "extraFilter"),
        ({"api_version": "latest"}, "apiVersion"),
    ],
)
async def test_settings_that_cannot_work_are_refused_naming_the_field(
    community, org, overrides, field
):
    with pytest.raises(DomainError) as refused:
        await save_connection(community.id, session_settings(org, **overrides))

    assert refused.value.field == field


async def test_each_login_needs_its_own_credentials(community):
    settings = ConnectionSettings(auth=SalesforceAuth.JWT, username="sync@acme.com")

    with pytest.raises(DomainError) as refused:
        await save_connection(community.id, settings)

    assert refused.value.field == "consumerKey"


def test_client_arguments_for_each_login_branch():
    row = SalesforceConnection(
        auth=SalesforceAuth.PASSWORD,
        domain="acme--uat.sandbox.my",
        username="sync@acme.com",
        consumer_key="3MVG9",
        api_version="59.0",
        instance_url=None,
    )
    secrets = {"password": "pw", "security_token": "tok", "private_key": PRIVATE_KEY}

    password = client_kwargs(row, secrets)
    row.auth = SalesforceAuth.JWT
    jwt = client_kwargs(row, secrets)
    row.auth, row.instance_url = SalesforceAuth.SESSION, "https://acme.my.example"
    session = client_kwargs(row, {"access_token": "00D!x"})

    assert password == {
        "version": "59.0",
        "domain": "acme--uat.sandbox.my",
        "username": "sync@acme.com",
        "password": "pw",
        "security_token": "tok",
    }
    assert jwt["consumer_key"] == "3MVG9" and jwt["privatekey"] == PRIVATE_KEY
    assert "password" not in jwt
    assert session["session_id"] == "00D!x" and session["version"] == "59.0"


def test_the_connections_ca_bundle_wins_over_requests_ca_bundle(org, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    url = f"{org.url}/services/oauth2/userinfo"
    headers = {"Authorization": f"Bearer {TOKEN}"}

    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, headers=headers, timeout=5)
    with ConnectionSession(ca_file_for(org.ca_pem())) as session:
        answer = session.get(url, headers=headers)

    assert answer.status_code == 200
    assert os.environ["REQUESTS_CA_BUNDLE"] == requests.certs.where()


async def test_without_the_ca_bundle_the_fake_is_not_trusted(community, org):
    await connect(community, org, ca_bundle=None)
    org.add_account("Acme", "Customer")

    with pytest.raises(ConfigurationError, match="TLS certificate is not trusted"):
        await sync(community)
