"""The committed migrations describe the models exactly."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from domain.db import tortoise_config


async def test_models_and_committed_migrations_agree(db):
    detector = MigrationAutodetector(Tortoise.apps, tortoise_config()["apps"])

    pending = await detector.changes()

    assert [writer.name for writer in pending] == []
