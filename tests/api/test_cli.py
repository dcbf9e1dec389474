"""The command line's start-up: a bad DATABASE_URL is one clear line; -v keeps secrets."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import httpx
import pytest

from domain.models import Member, Role
from domain.settings import SettingsError, check_database_url
from tests.api.conftest import caller, serving


def _engagement(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "sqlite://{tmp}/no/such/dir/x.db",
            "DATABASE_URL: the directory {tmp}/no/such/dir of the SQLite file"
            " does not exist",
        ),
        (
            "mysql://root:hunter2@127.0.0.1/engagement",
            "DATABASE_URL: the scheme 'mysql' is not supported;"
            " use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB",
        ),
    ],
    ids=["missing directory", "mysql"],
)
def test_a_bad_database_url_stops_migrate_with_one_line(tmp_path, url, message):
    run = _engagement("migrate", database_url=url.format(tmp=tmp_path))

    assert run.returncode == 1
    assert run.stderr == f"Error: {message.format(tmp=tmp_path)}\n"
    assert "hunter2" not in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://engagement.sqlite3",
        "sqlite://:memory:",
        "sqlite://{tmp}/x.db?journal_mode=wal",
        "postgres://user:secret@127.0.0.1:5432/engagement",
        "postgresql://127.0.0.1/engagement",
    ],
)
def test_the_documented_database_urls_are_accepted(tmp_path, url):
    check_database_url(url.format(tmp=tmp_path))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "DATABASE_URL: no SQLite file is named"),
        ("engagement.sqlite3", "DATABASE_URL: a URL without a scheme is not"),
        ("postgress://127.0.0.1/db", "DATABASE_URL: the scheme 'postgress' is not"),
    ],
)
def test_other_database_urls_are_refused(url, message):
    with pytest.raises(SettingsError) as refused:
        check_database_url(url)

    assert str(refused.value).startswith(message)


async def test_a_verbose_server_logs_no_e_mail(database_url, community, tmp_path):
    integration = await caller(community, Role.INTEGRATION)
    token = base64.b64encode(f"{integration.secret}:".encode()).decode()
    email = "ada.lovelace@acme.example"
    identify = {
        "type": "identify",
        "messageId": "m-1",
        "userId": "user-42",
        "traits": {"email": email},
    }
    log_path = tmp_path / "verbose.log"

    with serving(
        database_url, log_path, verbose=True, environment="development"
    ) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            response = await client.post(
                "/v1/batch",
                json={"batch": [identify]},
                headers={"Authorization": f"Basic {token}"},
            )

    log = log_path.read_text()
    member = await Member.get(community_id=community.id, external_id="user-42")
    assert response.status_code == 200
    assert member.email == email
    assert " DEBUG " in log, "the server logged at debug level"
    assert email not in log
    assert integration.secret not in log
