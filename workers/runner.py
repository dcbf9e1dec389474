"""Running one job: its status row, the task, retries and the outcome.

Both the ARQ worker and the in-process queue call ``run_job``; it answers how
long to wait before another try, or None when the job has ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import DBConnectionError, OperationalError

from domain.errors import RetryLater
from domain.jobs import fail_job, finish_job, start_job
from domain.models import Job
from workers.progress import current_job, end_try, start_try
from workers.tasks import TASKS

log = logging.getLogger(__name__)

MAX_TRIES = 8
# Outages of the database or of the network are worth another try.
TRANSIENT = (OSError, asyncio.TimeoutError, DBConnectionError, OperationalError)


def backoff(attempt: int) -> float:
    """Seconds before try ``attempt + 1``: 2, 4, 8, ... capped at five minutes."""
    return float(min(2**attempt, 300))


def try_budget(job_timeout: float) -> float:
    """How long one try may run, kept short of the queue's own timeout.

    The queue kills a try that overruns without telling the job row; ending
    the try first, at a progress report, lets the row say so, and the next
    try resumes from what this one committed.
    """
    return max(1.0, job_timeout - min(30.0, job_timeout / 10))


@dataclass(frozen=True)
class Try:
    job: Job
    attempt: int
    max_tries: int

    @property
    def context(self) -> dict[str, Any]:
        return {
            "job": self.job.id,
            "kind": self.job.kind,
            "try": self.attempt,
            "community": self.job.community_id,
        }


async def run_job(
    job_id: str,
    attempt: int = 1,
    max_tries: int = MAX_TRIES,
    budget: float | None = None,
) -> float | None:
    """Run a job once; return seconds until a retry, or None when it has ended.

    ``budget`` is the seconds after which the task stops at its next progress
    report, to resume in the next try; None means no bound.
    """
    try:
        job = await start_job(job_id)
    except TRANSIENT:
        log.warning("job.unreachable", extra={"job": job_id, "try": attempt})
        return backoff(attempt) if attempt < max_tries else None
    if job is None:
        return None

    current = Try(job, attempt, max_tries)
    log.info("job.start", extra=current.context)
    started = time.perf_counter()
    token = current_job.set(job.id)
    timing = start_try(budget)
    try:
        result = await TASKS[job.kind](**job.arguments)
    except RetryLater as later:
        return await _retry(current, later.reason, later.delay)
    except TRANSIENT as error:
        return await _retry(current, _describe(error), backoff(attempt))
    except Exception as error:
        log.exception("job.failed", extra=current.context)
        await fail_job(job.id, _describe(error))
        return None
    finally:
        current_job.reset(token)
        end_try(timing)

    await finish_job(job.id, result)
    duration = round((time.perf_counter() - started) * 1000, 1)
    log.info("job.done", extra={**current.context, "duration_ms": duration, **result})
    return None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


async def _retry(current: Try, reason: str, delay: float) -> float | None:
    final = current.attempt >= current.max_tries
    log.warning(
        "job.gave_up" if final else "job.retry",
        extra={**current.context, "reason": reason, "delay_s": delay},
    )
    tries = f"try {current.attempt} of {current.max_tries}"
    message = reason if final else f"{reason} ({tries}, retrying)"
    await fail_job(current.job.id, message, final=final)
    return None if final else delay
