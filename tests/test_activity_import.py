"""``engagement import activity``: a Segment export, streamed, resumable."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

from domain.ingestion import ingest
from domain.metrics import customer_engagement
from domain.models import Contribution, PageView
from tests import factories as f


def _export(path, count: int) -> None:
    with path.open("w") as out:
        out.write(
            json.dumps(
                {
                    "type": "group",
                    "messageId": "g1",
                    "userId": "m1",
                    "groupId": "crm-acme",
                    "timestamp": "2023-01-01T00:00:00Z",
                }
            )
        )
        out.write("\n\nnot json\n")
        for index in range(count):
            out.write(
                json.dumps(
                    {
                        "type": "page",
                        "messageId": f"p{index}",
                        "userId": f"m{index % 3 + 1}",
                        "timestamp": f"2023-01-{index % 28 + 1:02d}T12:00:00Z",
                        "properties": {"path": f"/t/{index}"},
                    }
                )
                + "\n"
            )
        out.write(
            json.dumps(
                {
                    "type": "track",
                    "event": "Idea Submitted",
                    "messageId": "t1",
                    "userId": "m1",
                    "timestamp": "2023-01-05T12:00:00Z",
                }
            )
            + "\n"
        )


def _import(database_url: str, path, community_id: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "import",
            "activity",
            str(path),
            "--community",
            str(community_id),
            "--batch-size",
            "100",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_importing_twice_stores_everything_once(database_url, db, tmp_path):
    community = await f.community("Europe/Berlin")
    acme = await f.company(community, "Acme")
    await acme.__class__.filter(id=acme.id).update(crm_id="crm-acme")
    _export(tmp_path / "export.ndjson", 1000)

    first = _import(database_url, tmp_path / "export.ndjson", community.id)
    second = _import(database_url, tmp_path / "export.ndjson", community.id)

    assert first.returncode == second.returncode == 1  # the line that is not JSON
    assert "line 3: line: is not a JSON object" in first.stderr
    assert "1000 page views, 1 contributions" in first.stdout
    assert "0 page views, 0 contributions" in second.stdout
    assert await PageView.filter(community_id=community.id).count() == 1000
    assert await Contribution.filter(community_id=community.id).count() == 1
    found = await customer_engagement(
        community, date(2023, 1, 1), date(2023, 1, 31), [acme.id]
    )
    assert found[acme.id].page_views == 334  # m1 views every third page


def _page(message_id: str, path: str, at: str = "2023-01-02T12:00:00Z") -> str:
    message = {
        "type": "page",
        "messageId": message_id,
        "userId": "m1",
        "timestamp": at,
        "properties": {"path": path},
    }
    return json.dumps(message) + "\n"


async def test_lines_no_column_can_hold_are_reported_and_the_rest_stored(
    database_url, db, tmp_path
):
    """A NUL, a lone surrogate and year 1, west of UTC; lines 1 and 5 are good."""
    community = await f.community("America/Chicago")
    export = tmp_path / "export.ndjson"
    export.write_text(
        _page("p1", "/t/1")
        + _page("p2", "/t/\x00")
        + _page("p3", "/t/\ud800")
        + _page("p4", "/t/4", at="0001-01-01T00:00:00Z")
        + _page("p5", "/t/5")
    )

    run = _import(database_url, export, community.id)

    assert run.returncode == 1, run.stderr
    assert "line 2: properties.path: must not contain the NUL character" in run.stderr
    assert "line 3: properties.path: must not contain a lone UTF-16" in run.stderr
    assert "line 4: timestamp: is before 1970-01-01T00:00:00Z" in run.stderr
    assert "2 page views" in run.stdout
    stored = await PageView.filter(community_id=community.id).values_list(
        "message_id", flat=True
    )
    assert sorted(stored) == ["p1", "p5"]


async def test_an_import_and_live_ingestion_write_side_by_side(
    db, database_url, tmp_path
):
    community = await f.community()
    path = tmp_path / "export.ndjson"
    _export(path, 20000)
    live = [
        [
            {
                "type": "page",
                "messageId": f"live-{batch}-{n}",
                "userId": f"live{n}",
                "timestamp": "2023-02-01T12:00:00Z",
                "properties": {"path": "/"},
            }
            for n in range(100)
        ]
        for batch in range(60)
    ]

    importing = asyncio.create_task(
        asyncio.to_thread(_import, database_url, path, community.id)
    )
    now = datetime.now(UTC)
    reports = [await ingest(community, batch, now) for batch in live]
    imported = await importing

    assert imported.returncode == 1, imported.stderr  # the one line that is no JSON
    assert "database is locked" not in imported.stderr
    assert all(report.errors == [] and report.page_views == 100 for report in reports)
    assert await PageView.filter(community_id=community.id).count() == 20000 + 6000
