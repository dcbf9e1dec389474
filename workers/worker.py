"""The ARQ worker: its settings, its job function, its clock."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any, ClassVar

from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Retry, func

from domain.db import close_database, open_database
from workers.arq_queue import QUEUE, close_pools, deserialize, serialize
from workers.queue import resend_stranded
from workers.runner import MAX_TRIES, run_job, try_budget
from workers.schedule import (
    RECONCILE_MINUTE,
    Schedule,
    load_schedule,
    queue_reconciliations,
    queue_syncs,
)

log = logging.getLogger(__name__)

JOB_TIMEOUT = int(os.environ.get("ENGAGEMENT_JOB_TIMEOUT", "600"))
# A job row this old that ARQ does not hold was never handed over, or lost.
STRANDED_AFTER = timedelta(minutes=1)


async def _run(ctx: dict[str, Any], job_id: str) -> None:
    budget = try_budget(JOB_TIMEOUT)
    delay = await run_job(job_id, ctx["job_try"], MAX_TRIES, budget)
    if delay is not None:
        raise Retry(defer=delay)


async def _resend_stranded(ctx: dict[str, Any]) -> None:
    await resend_stranded(STRANDED_AFTER)


async def _queue_syncs(ctx: dict[str, Any]) -> None:
    await queue_syncs()


async def _queue_reconciliations(ctx: dict[str, Any]) -> None:
    await queue_reconciliations()


def clock_jobs(schedule: Schedule) -> list[CronJob]:
    """The clock's jobs; ``unique`` keeps several workers from doubling them."""
    jobs = [
        cron(_resend_stranded, name="resend-stranded-jobs", second={30}),
        cron(
            _queue_reconciliations,
            name="salesforce-reconciliations",
            hour={schedule.reconcile_hour},
            minute={RECONCILE_MINUTE},
        ),
    ]
    times = schedule.sync_times()
    if times is not None:
        hours, minutes = times
        jobs.append(
            cron(_queue_syncs, name="salesforce-syncs", hour=hours, minute=minutes)
        )
    return jobs


async def _startup(ctx: dict[str, Any]) -> None:
    await open_database()
    log.info("worker.start")


async def _shutdown(ctx: dict[str, Any]) -> None:
    # ARQ calls this from another task than _startup; the connections were
    # opened with the global fallback, so closing them here reaches them.
    await close_database()
    await close_pools()
    log.info("worker.stop", extra={"database": "closed"})


class WorkerSettings:
    functions: ClassVar = [func(_run, name="run_job", max_tries=MAX_TRIES)]
    cron_jobs: ClassVar = clock_jobs(load_schedule())
    on_startup = _startup
    on_shutdown = _shutdown
    redis_settings = RedisSettings.from_dsn(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    )
    queue_name = QUEUE
    job_serializer = serialize
    job_deserializer = deserialize
    max_jobs = 10
    # A link's enrichment is waited for by a person: pick jobs up quickly.
    poll_delay = 0.1
    # A killed worker's job is picked up again once this (plus ten seconds)
    # has passed; the job then resumes from what its last run committed.
    job_timeout = JOB_TIMEOUT
