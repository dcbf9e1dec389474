"""Running one job: status, the task itself, the outcome."""

from __future__ import annotations

import logging
import time

from domain.jobs import fail_job, finish_job, start_job
from workers.tasks import TASKS

log = logging.getLogger(__name__)


async def run_job(job_id: str) -> None:
    """Run a queued job to its end; a job that already finished is left alone."""
    job = await start_job(job_id)
    if job is None:
        return
    started = time.perf_counter()
    context = {"job": job.id, "kind": job.kind, "community": job.community_id}  # type: ignore[attr-defined]
    log.info("job.start", extra=context)
    try:
        result = await TASKS[job.kind](**job.arguments)
    except Exception as error:
        log.exception("job.failed", extra=context)
        await fail_job(job.id, f"{type(error).__name__}: {error}")
        raise
    await finish_job(job.id, result)
    duration = round((time.perf_counter() - started) * 1000, 1)
    log.info("job.done", extra={**context, "duration_ms": duration, **result})
