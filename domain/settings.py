"""Settings read from the environment, once, at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite://engagement.sqlite3"
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql")
_DATABASE_FORMS = "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB"


class SettingsError(ValueError):
    """A setting that cannot work; the message names its variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    environment: str
    remember_answers: bool = True

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings() -> Settings:
    """Read the settings from the process environment."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        redis_url=os.environ.get("REDIS_URL") or None,
        environment=os.environ.get("ENGAGEMENT_ENV", "development"),
        remember_answers=os.environ.get("ENGAGEMENT_REMEMBER_ANSWERS", "on") != "off",
    )


def load_checked_settings() -> Settings:
    """The settings, refused with a ``SettingsError`` when they cannot work."""
    settings = load_settings()
    check_database_url(settings.database_url)
    return settings


def check_database_url(url: str) -> None:
    """A URL of a database this service can open, or a ``SettingsError``.

    Caught here because the drivers fail late and obscurely: an unknown scheme
    as a traceback, a SQLite file in a missing directory by waiting forever.
    """
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in DATABASE_SCHEMES:
        # Only the scheme is repeated: the rest may hold a password.
        named = f"the scheme {scheme!r}" if separator else "a URL without a scheme"
        raise SettingsError(
            f"DATABASE_URL: {named} is not supported; use {_DATABASE_FORMS}"
        )
    if scheme == "sqlite":
        _check_sqlite_path(rest.split("?", 1)[0])


def _check_sqlite_path(path: str) -> None:
    if not path:
        raise SettingsError(
            f"DATABASE_URL: no SQLite file is named; use {_DATABASE_FORMS}"
        )
    if path == ":memory:":
        return
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise SettingsError(
            f"DATABASE_URL: the directory {directory} of the SQLite file does not exist"
        )
