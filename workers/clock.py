"""The API's own clock, for the embedded default where no worker runs.

It does what the worker's cron does, on the same schedule, and first runs
again the jobs that a stopped process left unfinished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from workers.queue import resume_unfinished
from workers.schedule import (
    RECONCILE_MINUTE,
    Schedule,
    queue_reconciliations,
    queue_syncs,
)

log = logging.getLogger(__name__)


def next_time(after: datetime, hours: set[int] | None, minutes: set[int]) -> datetime:
    """The first whole minute later than ``after`` in ``hours`` and ``minutes``."""
    candidate = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while not (
        candidate.minute in minutes and (hours is None or candidate.hour in hours)
    ):
        candidate += timedelta(minutes=1)
    return candidate


async def _every(
    hours: set[int] | None, minutes: set[int], work: Callable[[], Awaitable[object]]
) -> None:
    while True:
        now = datetime.now(UTC)
        await asyncio.sleep((next_time(now, hours, minutes) - now).total_seconds())
        try:
            await work()
        except Exception:
            log.exception("clock.failed", extra={"work": work.__name__})


async def run_clock(schedule: Schedule) -> None:
    """Resume unfinished jobs, then queue syncs and reconciliations on time."""
    resumed = await resume_unfinished()
    log.info("clock.start", extra={"resumed_jobs": len(resumed)})

    tasks = [
        _every({schedule.reconcile_hour}, {RECONCILE_MINUTE}, queue_reconciliations)
    ]
    times = schedule.sync_times()
    if times is not None:
        tasks.append(_every(*times, queue_syncs))
    await asyncio.gather(*tasks)
