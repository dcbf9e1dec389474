"""The sync as a job: one per community, rescheduled on the rate limit."""

from __future__ import annotations

import pytest

from demo.salesforce_fake import error_body
from domain.jobs import create_job
from domain.models import Company, Job, JobStatus
from domain.salesforce.errors import SyncBusy
from domain.salesforce.state import acquire_lease, release_lease
from tests import factories as f
from tests.salesforce.conftest import sync
from workers.queue import drain
from workers.runner import run_job
from workers.schedule import queue_reconciliations, queue_syncs
from workers.tasks import RATE_LIMIT_DELAY, TASKS


async def run_sync_job(community) -> tuple[Job, float | None]:
    job, _ = await create_job(
        community.id, "sync_salesforce", {"community_id": community.id, "full": False}
    )
    delay = await run_job(job.id)
    return await Job.get(id=job.id), delay


async def test_the_sync_job_reports_what_it_did(connected, org):
    org.add_account("Acme", "Customer")

    job, delay = await run_sync_job(connected)

    assert delay is None
    assert job.status is JobStatus.SUCCEEDED
    assert job.result["accounts"]["created"] == 1
    assert {"sync_salesforce", "reconcile_salesforce"} <= set(TASKS)


async def test_a_rate_limit_reschedules_the_job_much_later_and_says_so(connected, org):
    for n in range(30):
        org.add_account(f"Account {n}", "Customer")
    org.max_page = 10
    org.add_fault(
        "query_more",
        status=403,
        body=error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    )

    job, delay = await run_sync_job(connected)

    assert delay == RATE_LIMIT_DELAY
    assert job.status is JobStatus.QUEUED
    assert "REQUEST_LIMIT_EXCEEDED" in job.error and "runs again later" in job.error
    assert await Company.filter(community_id=connected.id).count() == 10


async def test_a_permission_problem_fails_the_job_clearly(connected, org):
    org.add_fault(
        "query",
        status=403,
        body=error_body("API_DISABLED_FOR_ORG", "API is not enabled for this Org"),
    )

    job, delay = await run_sync_job(connected)

    assert delay is None
    assert job.status is JobStatus.FAILED
    assert "PERMISSION" in job.error and "API_DISABLED_FOR_ORG" in job.error


async def test_two_syncs_of_one_community_cannot_run_at_once(connected, org):
    token = await acquire_lease(connected.id)

    with pytest.raises(SyncBusy):
        await sync(connected)
    job, delay = await run_sync_job(connected)
    await release_lease(connected.id, token, None)
    await sync(connected)

    assert delay is not None and job.status is JobStatus.QUEUED
    assert "another Salesforce sync" in job.error


async def test_a_reconcile_job_compares_every_id(connected, org):
    acme = org.add_account("Acme", "Customer")
    await sync(connected)
    org.purge(acme)
    job, _ = await create_job(
        connected.id, "reconcile_salesforce", {"community_id": connected.id}
    )

    await run_job(job.id)

    done = await Job.get(id=job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result == {"salesforceAccounts": 0, "purged": 1, "missingHere": 0}


async def test_the_clock_queues_a_sync_for_each_connected_community_only(
    connected, org
):
    org.add_account("Acme", "Customer")
    unconnected = await f.community()

    jobs = await queue_syncs()
    await drain()

    assert [job.community_id for job in jobs] == [connected.id]
    assert (await Job.get(id=jobs[0].id)).status is JobStatus.SUCCEEDED
    assert await Company.filter(community_id=connected.id).count() == 1
    assert not await Job.filter(community_id=unconnected.id).exists()


async def test_the_clock_queues_a_reconciliation_for_each_connected_community(
    connected, org
):
    acme = org.add_account("Acme", "Customer")
    await sync(connected)
    org.purge(acme)

    jobs = await queue_reconciliations()
    await drain()

    done = await Job.get(id=jobs[0].id)
    assert [job.kind for job in jobs] == ["reconcile_salesforce"]
    assert done.status is JobStatus.SUCCEEDED and done.result["purged"] == 1
