"""Running a command's async work with the database open."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click

from domain.db import close_database, migrate_database, open_database
from domain.errors import DomainError


def run(work: Callable[[], Awaitable[Any]], *, migrate: bool = False) -> Any:
    """Run ``work`` with the database open, reporting domain errors plainly."""

    async def main() -> Any:
        if migrate:
            await migrate_database()
        await open_database()
        try:
            return await work()
        finally:
            await close_database()

    try:
        return asyncio.run(main())
    except DomainError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from None
