"""Queueing when Redis is away: the caller is answered, the job row waits."""

from __future__ import annotations

import time

from domain.members import link_members
from domain.models import Job, JobStatus
from tests import factories as f
from workers.queue import enqueue_enrichment


async def test_a_redis_that_is_away_leaves_the_job_queued_for_the_sweep(
    db, monkeypatch, caplog
):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens
    community = await f.community()
    acme = await f.company(community, "Acme")
    changes = await link_members(community.id, [("m1", acme.id)])
    started = time.monotonic()

    job = await enqueue_enrichment(community.id, [changes[0].member.id])

    assert job is not None
    assert time.monotonic() - started < 10
    assert (await Job.get(id=job.id)).status is JobStatus.QUEUED
    assert "job.enqueue_failed" in caplog.text
