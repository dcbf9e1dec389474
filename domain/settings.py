"""Settings read from the environment, once, at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite://engagement.sqlite3"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    environment: str

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings() -> Settings:
    """Read the settings from the process environment."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        redis_url=os.environ.get("REDIS_URL") or None,
        environment=os.environ.get("ENGAGEMENT_ENV", "development"),
    )
