"""Progress of the running job, for tasks to report without knowing the job."""

from __future__ import annotations

import contextvars

from domain.jobs import report_progress

current_job: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_job", default=None
)


async def progress(fraction: float) -> None:
    """Record how far the running job has got, between 0 and 1."""
    job_id = current_job.get()
    if job_id is not None:
        await report_progress(job_id, fraction)
