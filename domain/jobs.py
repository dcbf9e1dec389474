"""Job records: what was asked, how far it got, what it found.

The queue runs the work; these rows are what clients poll through the API,
whether the work runs on a worker or in the API's own process.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from domain.errors import DomainError, ErrorCode
from domain.models import Job, JobStatus

MAX_PAGE = 200
JOB_ID_LENGTH = 32  # uuid4().hex, the length of the id column


async def create_job(
    community_id: int,
    kind: str,
    arguments: dict[str, Any],
    dedupe_key: str | None = None,
) -> tuple[Job, bool]:
    """A new queued job, or the queued one with the same ``dedupe_key``.

    Returns the job and whether it was created by this call.
    """
    if dedupe_key is not None:
        waiting = await Job.get_or_none(dedupe_key=dedupe_key, status=JobStatus.QUEUED)
        if waiting is not None:
            return waiting, False
    try:
        job = await Job.create(
            id=uuid.uuid4().hex,
            community_id=community_id,
            kind=kind,
            arguments=arguments,
            dedupe_key=dedupe_key,
        )
    except IntegrityError:
        # Another request queued the same work a moment ago: join it.
        return await Job.get(dedupe_key=dedupe_key), False
    return job, True


async def start_job(job_id: str) -> Job | None:
    """Mark a job running; None when it already finished (a repeated delivery)."""
    job = await Job.get_or_none(id=job_id)
    if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return None
    job.status = JobStatus.RUNNING
    job.dedupe_key = None  # a link change from now on needs another run
    job.attempts += 1
    job.started_at = datetime.now(UTC)
    await job.save(update_fields=["status", "dedupe_key", "attempts", "started_at"])
    return job


async def report_progress(job_id: str, progress: float) -> None:
    await Job.filter(id=job_id).update(progress=max(0.0, min(1.0, progress)))


async def finish_job(job_id: str, result: dict[str, Any]) -> None:
    await Job.filter(id=job_id).update(
        status=JobStatus.SUCCEEDED,
        progress=1.0,
        result=result,
        error=None,
        finished_at=datetime.now(UTC),
    )


async def fail_job(job_id: str, error: str, final: bool = True) -> None:
    """Record a failure; a non-final one leaves the job queued for its retry."""
    await Job.filter(id=job_id).update(
        status=JobStatus.FAILED if final else JobStatus.QUEUED,
        error=error[:2000],
        finished_at=datetime.now(UTC) if final else None,
    )


async def unfinished_jobs(created_before: datetime | None = None) -> list[str]:
    """The ids of the jobs still queued or running, oldest first."""
    query = Job.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if created_before is not None:
        query = query.filter(created_at__lt=created_before)
    rows = await query.order_by("created_at", "id").values("id")
    return [row["id"] for row in rows]


async def get_job(community_id: int, job_id: str) -> Job | None:
    """The job with this id in this community; another community's is None."""
    if not could_be_job_id(job_id):
        return None
    return await Job.get_or_none(id=job_id, community_id=community_id)


def could_be_job_id(text: str) -> bool:
    """Job ids are short printable ASCII; other text must not reach the database.

    PostgreSQL refuses a NUL character, and both refuse a lone surrogate, with an
    error that would fail the whole request instead of finding nothing.
    """
    return len(text) <= JOB_ID_LENGTH and text.isascii() and text.isprintable()


async def list_jobs(
    community_id: int, limit: int = 50, after: str | None = None
) -> list[Job]:
    """Newest first; ``after`` is the id of the last job of the previous page."""
    if not 1 <= limit <= MAX_PAGE:
        raise DomainError(
            "first", f"must be between 1 and {MAX_PAGE}", ErrorCode.OUT_OF_RANGE
        )
    query = Job.filter(community_id=community_id)
    if after:
        anchor = None
        if could_be_job_id(after):
            anchor = await Job.get_or_none(id=after, community_id=community_id)
        if anchor is None:
            raise DomainError("after", "is not a cursor of this list")
        query = query.filter(created_at__lte=anchor.created_at).exclude(id=anchor.id)
        query = query.exclude(created_at=anchor.created_at, id__gt=anchor.id)
    return await query.order_by("-created_at", "-id").limit(limit + 1)
