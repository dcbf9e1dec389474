"""The one place that knows how jobs are queued.

With ``REDIS_URL`` set, jobs go to ARQ and a worker runs them. Without it (the
embedded default) the same job functions run as tasks of this process, and
their job rows move through the same states.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.jobs import create_job, unfinished_jobs
from domain.models import Job
from domain.settings import load_settings
from workers.arq_queue import QUEUE_UNREACHABLE, send
from workers.runner import MAX_TRIES, run_job

log = logging.getLogger(__name__)

_in_process: set[asyncio.Task[None]] = set()


async def enqueue(
    community_id: int,
    kind: str,
    arguments: dict[str, Any],
    dedupe_key: str | None = None,
) -> Job:
    """Queue ``kind`` with ``arguments``; call it only after the data it needs committed."""
    job, created = await create_job(community_id, kind, arguments, dedupe_key)
    if not created:
        return job

    redis_url = load_settings().redis_url
    if redis_url:
        await _hand_over(redis_url, job)
    else:
        _start_in_process(job.id)
    return job


async def _hand_over(redis_url: str, job: Job) -> None:
    """Give a job to the workers; if Redis is away, the row waits for the sweep.

    The job's data is committed already, so failing the caller now would only
    make a client resend what is stored; the workers' sweep sends it later.
    """
    try:
        await send(redis_url, job.id)
    except QUEUE_UNREACHABLE as error:
        log.warning(
            "job.enqueue_failed",
            extra={"job": job.id, "kind": job.kind, "error": type(error).__name__},
        )


async def resend_stranded(older_than: timedelta) -> int:
    """Send again the unfinished jobs that Redis does not hold; return how many.

    A job whose hand-over failed, or that Redis lost (it may keep nothing on
    disk), would otherwise wait forever; one that ARQ holds is left alone.
    """
    redis_url = load_settings().redis_url
    if not redis_url:
        return 0
    cutoff = datetime.now(UTC) - older_than
    job_ids = await unfinished_jobs(created_before=cutoff)
    sent = [job_id for job_id in job_ids if await send(redis_url, job_id)]
    if sent:
        log.info("job.resent", extra={"jobs": len(sent)})
    return len(sent)


async def _run_in_process(job_id: str) -> None:
    """The in-process twin of the ARQ worker: the same tries, the same waits."""
    for attempt in range(1, MAX_TRIES + 1):
        delay = await run_job(job_id, attempt)
        if delay is None:
            return
        await asyncio.sleep(delay)


async def resume_unfinished() -> list[str]:
    """Run again, in this process, the jobs a stopped process left unfinished."""
    job_ids = await unfinished_jobs()
    for job_id in job_ids:
        _start_in_process(job_id)
    return job_ids


def _start_in_process(job_id: str) -> None:
    task = asyncio.create_task(_run_in_process(job_id))
    _in_process.add(task)
    task.add_done_callback(_in_process.discard)


async def drain() -> None:
    """Wait for every in-process job, including ones those jobs queue."""
    while _in_process:
        await asyncio.gather(*list(_in_process), return_exceptions=True)


async def enqueue_sync(community_id: int, full: bool = False) -> Job:
    """Queue a Salesforce sync; a community's waiting sync is joined, not doubled."""
    arguments = {"community_id": community_id, "full": full}
    dedupe = f"salesforce:{community_id}"
    return await enqueue(community_id, "sync_salesforce", arguments, dedupe)


async def enqueue_reconciliation(community_id: int) -> Job:
    """Queue the comparison of every account id with Salesforce's."""
    arguments = {"community_id": community_id}
    dedupe = f"salesforce-reconcile:{community_id}"
    return await enqueue(community_id, "reconcile_salesforce", arguments, dedupe)


async def enqueue_enrichment(community_id: int, member_ids: list[int]) -> Job | None:
    """Queue the re-attribution of the community's relinked members.

    A community has at most one such job waiting: it credits every member
    whose link changed before it starts, so a later change joins it.
    """
    if not member_ids:
        return None
    arguments = {"community_id": community_id}
    return await enqueue(
        community_id, "enrich_members", arguments, f"enrich:{community_id}"
    )
