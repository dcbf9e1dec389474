"""What runs on a clock: Salesforce syncs and the reconciliation of account ids.

The worker's cron calls these, and so does the API's own clock when jobs run
in-process. They only queue jobs; the jobs do the work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from domain.models import Job
from domain.salesforce.connection import connected_communities
from workers.queue import enqueue_reconciliation, enqueue_sync

log = logging.getLogger(__name__)

# Off the hour, when the syncs start.
RECONCILE_MINUTE = 17


@dataclass(frozen=True)
class Schedule:
    """How often syncs run (0: never) and the UTC hour of the reconciliation."""

    sync_every_minutes: int = 60
    reconcile_hour: int = 3

    def sync_times(self) -> tuple[set[int] | None, set[int]] | None:
        """The hours (None: every hour) and minutes of the syncs; None when off."""
        every = self.sync_every_minutes
        if every == 0:
            return None
        if every < 60:
            return None, set(range(0, 60, every))
        return set(range(0, 24, every // 60)), {0}


def load_schedule(environ: Mapping[str, str] = os.environ) -> Schedule:
    """The schedule from the environment; a bad value names its variable."""
    every = _whole_number(environ, "ENGAGEMENT_SYNC_EVERY_MINUTES", 60)
    fits_an_hour = 0 < every < 60 and 60 % every == 0
    fits_a_day = every >= 60 and every % 60 == 0 and 24 % (every // 60) == 0
    if every != 0 and not (fits_an_hour or fits_a_day):
        raise ValueError(
            "ENGAGEMENT_SYNC_EVERY_MINUTES must be 0 (off), divide 60,"
            f" or be whole hours that divide 24; got {every}"
        )
    hour = _whole_number(environ, "ENGAGEMENT_RECONCILE_HOUR", 3)
    if hour > 23:
        raise ValueError(f"ENGAGEMENT_RECONCILE_HOUR must be 0 to 23; got {hour}")
    return Schedule(sync_every_minutes=every, reconcile_hour=hour)


def _whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number; got {raw!r}")
    return int(raw)


async def queue_syncs() -> list[Job]:
    """An incremental sync for every community connected to Salesforce."""
    jobs = [
        await enqueue_sync(community) for community in await connected_communities()
    ]
    log.info("schedule.syncs", extra={"communities": len(jobs)})
    return jobs


async def queue_reconciliations() -> list[Job]:
    """A comparison of every account id for every connected community."""
    communities = await connected_communities()
    jobs = [await enqueue_reconciliation(community) for community in communities]
    log.info("schedule.reconciliations", extra={"communities": len(jobs)})
    return jobs
