"""Running one job: its status row, the task, retries and the outcome.

Both the ARQ worker and the in-process queue call ``run_job``; it answers how
long to wait before another try, or None when the job has ended.
"""

from __future__ import annotations

import asyncio
import logging
import time

from tortoise.exceptions import DBConnectionError, OperationalError

from domain.errors import RetryLater
from domain.jobs import fail_job, finish_job, start_job
from workers.progress import current_job
from workers.tasks import TASKS

log = logging.getLogger(__name__)

MAX_TRIES = 5
# Outages of the database or of the network are worth another try.
TRANSIENT = (OSError, asyncio.TimeoutError, DBConnectionError, OperationalError)

def backoff(attempt: int) -> float:
    """Seconds before try ``attempt + 1``: 2, 4, 8, ... capped at five minutes."""
    return float(min(2**attempt, 300))


async def run_job(job_id: str, attempt: int = 1, max_tries: int = MAX_TRIES) -> float | None:
    """Run a job once; return seconds until a retry, or None when it has ended."""
    try:
        job = await start_job(job_id)
    except TRANSIENT:
        log.warning("job.unreachable", extra={"job": job_id, "try": attempt})
        return backoff(attempt) if attempt < max_tries else None
    if job is None:
        return None

    context = {"job": job.id, "kind": job.kind, "try": attempt,
               "community": job.community_id}  # type: ignore[attr-defined]
    log.info("job.start", extra=context)
    started = time.perf_counter()
    token = current_job.set(job.id)
    try:
        result = await TASKS[job.kind](**job.arguments)
    except RetryLater as later:
        return await _retry(job.id, later.reason, later.delay, attempt, max_tries, context)
    except TRANSIENT as error:
        reason = f"{type(error).__name__}: {error}"
        return await _retry(job.id, reason, backoff(attempt), attempt, max_tries, context)
    except Exception as error:
        log.exception("job.failed", extra=context)
        await fail_job(job.id, f"{type(error).__name__}: {error}")
        return None
    finally:
        current_job.reset(token)

    await finish_job(job.id, result)
    duration = round((time.perf_counter() - started) * 1000, 1)
    log.info("job.done", extra={**context, "duration_ms": duration, **result})
    return None


async def _retry(
    job_id: str, reason: str, delay: float, attempt: int, max_tries: int, context: dict
) -> float | None:
    final = attempt >= max_tries
    log.warning("job.retry" if not final else "job.gave_up",
                extra={**context, "reason": reason, "delay_s": delay})
    message = reason if final else f"{reason} (try {attempt} of {max_tries}, retrying)"
    await fail_job(job_id, message, final=final)
    return None if final else delay
