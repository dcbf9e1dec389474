"""A real ARQ worker, against the real Redis, running the real job functions.

Needs TEST_REDIS_URL; outside CI the tests skip without it, in CI they fail.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

import pytest

from domain.activity import PageViewInput, record_page_views
from domain.attribution import reattribute_members
from domain.jobs import create_job
from domain.members import link_members
from domain.metrics import company_traffic, company_visitors
from domain.models import Job, JobStatus, Member
from tests import factories as f
from tests.conftest import in_ci
from workers import arq_queue
from workers.queue import resend_stranded


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        return url
    if in_ci():
        pytest.fail("CI is set but TEST_REDIS_URL is not: the worker tests must run")
    pytest.skip("TEST_REDIS_URL is not set: no Redis to run a worker against")


@pytest.fixture
async def queue(redis_url, monkeypatch):
    """A queue of this test's own, and the enqueue side pointed at it."""
    name = f"engagement:test:{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setattr(arq_queue, "QUEUE", name)
    yield name
    await arq_queue.close_pools()


class Worker:
    def __init__(self, database_url: str, redis_url: str, queue: str, log_path):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ENGAGEMENT_QUEUE": queue,
            "ENGAGEMENT_JOB_TIMEOUT": "2",
            "ENGAGEMENT_ATTRIBUTION_BATCH": "25",
        }
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "worker"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def worker(database_url, redis_url, queue, tmp_path):
    started = Worker(database_url, redis_url, queue, tmp_path / "worker.log")
    yield started
    if started.process and started.process.poll() is None:
        started.stop(signal.SIGKILL)


async def _wait_for(job_id: str, status: JobStatus, seconds: float = 60) -> Job:
    async with asyncio.timeout(seconds):
        while True:
            job = await Job.get(id=job_id)
            if job.status is status:
                return job
            await asyncio.sleep(0.2)


async def _relink_everyone(community, members: int, months: int):
    """``members`` members with a view in each of ``months`` months, moved to Acme."""
    acme = await f.company(community, "Acme")
    before = await f.company(community, "Before")
    externals = [f"m{i}" for i in range(members)]
    await link_members(community.id, [(e, before.id) for e in externals])
    views = [
        PageViewInput(
            f"v{e}-{month}",
            f.utc("2023-01-10T12:00") + timedelta(days=31 * month),
            "/topic",
            member_external_id=e,
        )
        for e in externals
        for month in range(months)
    ]
    for start in range(0, len(views), 1000):
        await record_page_views(community, views[start : start + 1000])

    ids = [m.id for m in await Member.filter(community_id=community.id)]
    await reattribute_members(community.id, ids)
    await link_members(community.id, [(e, acme.id) for e in externals])
    return acme, before, ids


async def test_the_worker_runs_an_enrichment(worker, db):
    from workers.queue import enqueue_enrichment

    community = await f.community()
    acme, before, ids = await _relink_everyone(community, members=20, months=2)
    worker.start()

    job = await enqueue_enrichment(community.id, ids)
    done = await _wait_for(job.id, JobStatus.SUCCEEDED)

    traffic = await company_traffic(community, date(2023, 1, 1), date(2023, 12, 31))
    assert traffic[acme.id]["page_views"] == 40
    assert traffic.get(before.id, {"page_views": 0})["page_views"] == 0
    assert done.result == {"members": 20, "monthRowsMoved": 40}
    assert worker.stop() == 0
    assert "worker.stop" in worker.log() and "database=closed" in worker.log()


@pytest.mark.timeout(300)
async def test_a_worker_killed_mid_enrichment_ends_in_the_same_numbers(worker, db):
    from workers.queue import enqueue_enrichment

    community = await f.community()
    acme, before, ids = await _relink_everyone(community, members=3000, months=3)
    worker.start()

    job = await enqueue_enrichment(community.id, ids)
    await _wait_until_partway(job.id)
    worker.stop(signal.SIGKILL)
    partway = await company_traffic(community, date(2023, 1, 1), date(2023, 12, 31))
    worker.start()
    await _wait_for(job.id, JobStatus.SUCCEEDED, seconds=120)

    final = await company_traffic(community, date(2023, 1, 1), date(2023, 12, 31))
    visitors = await company_visitors(community, date(2023, 1, 1), date(2023, 12, 31))
    assert 0 < partway[acme.id]["page_views"] < 9000
    assert final[acme.id]["page_views"] == 9000
    assert visitors[acme.id] == 3000
    assert final.get(before.id, {"page_views": 0})["page_views"] == 0
    assert visitors.get(before.id, 0) == 0


async def _wait_until_partway(job_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = await Job.get(id=job_id)
        if job.status is JobStatus.RUNNING and 0 < job.progress < 1:
            return
        assert job.status is not JobStatus.SUCCEEDED, (
            "finished before it could be killed"
        )
        await asyncio.sleep(0.02)
    raise AssertionError("the job never got partway")


async def test_a_communitys_waiting_enrichment_is_joined_not_doubled(worker, db):
    from workers.queue import enqueue_enrichment

    community = await f.community()
    acme = await f.company(community, "Acme")
    await f.views(community, "m1", f.utc("2023-03-01T12:00"))
    await f.views(community, "m2", f.utc("2023-03-02T12:00"))
    first = await link_members(community.id, [("m1", acme.id)])
    second = await link_members(community.id, [("m2", acme.id)])

    waiting = await enqueue_enrichment(community.id, [first[0].member.id])
    joined = await enqueue_enrichment(community.id, [second[0].member.id])
    pool = await arq_queue._pool(os.environ["REDIS_URL"])
    queued = await pool.queued_jobs(queue_name=arq_queue.QUEUE)
    worker.start()
    done = await _wait_for(waiting.id, JobStatus.SUCCEEDED)

    traffic = await company_traffic(community, date(2023, 3, 1), date(2023, 3, 31))
    assert joined.id == waiting.id
    assert [job.job_id for job in queued] == [waiting.id]
    assert done.result["members"] == 2
    assert traffic[acme.id]["page_views"] == 2


async def test_a_job_that_never_reached_redis_is_sent_by_the_sweep(worker, db):
    community = await f.community()
    acme = await f.company(community, "Acme")
    await f.views(community, "m1", f.utc("2023-05-01T12:00"))
    await link_members(community.id, [("m1", acme.id)])
    stranded, _ = await create_job(
        community.id, "enrich_members", {"community_id": community.id}
    )  # as if Redis had been away when it was queued
    worker.start()

    sent = await resend_stranded(timedelta(0))
    done = await _wait_for(stranded.id, JobStatus.SUCCEEDED)
    sent_again = await resend_stranded(timedelta(0))

    traffic = await company_traffic(community, date(2023, 5, 1), date(2023, 5, 31))
    assert (sent, sent_again) == (1, 0)
    assert done.result["members"] == 1
    assert traffic[acme.id]["page_views"] == 1
