"""The committed migrations describe the models exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from domain.db import tortoise_config
from domain.rebuild import ROLLUPS_VERSION


async def test_models_and_committed_migrations_agree(db):
    detector = MigrationAutodetector(Tortoise.apps, tortoise_config()["apps"])

    pending = await detector.changes()

    assert [writer.name for writer in pending] == []


# Run in a process of its own: it opens and closes databases of its own.
OLD_DATABASE = r'''
import asyncio, json, sqlite3, sys
from datetime import date
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from domain.db import close_database, migrate_database, open_database, tortoise_config
from domain.metrics import customer_engagement, monthly_activity
from domain.models import Community

path = sys.argv[1]
url = f"sqlite://{path}"
NOW = "2024-01-01 00:00:00+00:00"


async def main():
    await migrate(config=tortoise_config(url), target="engagement.0005_salesforce")
    await Tortoise.close_connections()
    old = sqlite3.connect(path)
    old.executescript(f"""
        INSERT INTO community (id, name, timezone, lurker_threshold, group_key,
            created_at) VALUES (1, 'Old', 'America/New_York', 0, 'crm_id', '{NOW}');
        INSERT INTO company (id, community_id, crm_source, crm_id, name,
            created_at, updated_at) VALUES (1, 1, 'csv', 'A', 'Acme', '{NOW}', '{NOW}'),
            (2, 1, 'csv', 'B', 'Beta', '{NOW}', '{NOW}');
        INSERT INTO customer_period (community_id, company_id) VALUES (1, 1), (1, 2);
        INSERT INTO member (id, community_id, external_id, company_id, link_version,
            attributed_version, traits, created_at) VALUES
            (1, 1, 'm1', 1, 1, 1, '{{}}', '{NOW}'), (2, 1, 'm2', 2, 2, 1, '{{}}', '{NOW}');
        INSERT INTO page_view (community_id, member_id, occurred_at, path, message_id)
            VALUES (1, 1, '2024-02-01 03:00:00+00:00', '/', 'a'),
                   (1, 2, '2024-02-10 12:00:00+00:00', '/', 'b'),
                   (1, NULL, '2024-02-11 12:00:00+00:00', '/', 'c');
    """)
    old.commit()
    old.close()

    await migrate_database(url)
    await open_database(url)
    community = await Community.get(id=1)
    months = await monthly_activity(community, date(2024, 1, 1), date(2024, 2, 1))
    engagement = await customer_engagement(
        community, date(2024, 1, 1), date(2024, 2, 29), [1, 2]
    )
    print(json.dumps({
        "version": community.rollups_version,
        "active": [m.active for m in months],
        "views": {k: v.page_views for k, v in engagement.items()},
    }))
    await close_database()


asyncio.run(main())
'''


def test_an_old_database_is_migrated_and_its_rollups_rebuilt(tmp_path):
    script = tmp_path / "old_database.py"
    script.write_text(OLD_DATABASE)

    run = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "old.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )

    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    # m1's view is on 31 January in New York; m2 was relinked before its
    # history was credited, and the rebuild credits it where it is linked now.
    assert answer == {
        "version": ROLLUPS_VERSION,
        "active": [1, 1],
        "views": {"1": 1, "2": 1},
    }
