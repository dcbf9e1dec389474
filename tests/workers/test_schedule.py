"""The clocks: when syncs and reconciliations are queued, and what resumes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.jobs import create_job, start_job
from domain.members import link_member
from domain.metrics import company_traffic
from domain.models import Job, JobStatus, LinkSource
from tests import factories as f
from workers.clock import next_time
from workers.queue import drain, resume_unfinished
from workers.schedule import Schedule, load_schedule
from workers.worker import clock_jobs


def test_syncs_run_hourly_and_the_reconciliation_daily_by_default():
    schedule = load_schedule({})

    jobs = {job.name: job for job in clock_jobs(schedule)}

    assert schedule == Schedule(sync_every_minutes=60, reconcile_hour=3)
    assert jobs["salesforce-syncs"].hour == set(range(24))
    assert jobs["salesforce-syncs"].minute == {0}
    assert jobs["salesforce-reconciliations"].hour == {3}
    assert all(job.unique for job in jobs.values())


@pytest.mark.parametrize(
    ("every", "hours", "minutes"),
    [
        ("15", None, {0, 15, 30, 45}),
        ("1", None, set(range(60))),
        ("120", set(range(0, 24, 2)), {0}),
        ("1440", {0}, {0}),
    ],
)
def test_the_sync_interval_is_configurable(every, hours, minutes):
    schedule = load_schedule({"ENGAGEMENT_SYNC_EVERY_MINUTES": every})

    assert schedule.sync_times() == (hours, minutes)


def test_an_interval_of_zero_turns_the_syncs_off():
    schedule = load_schedule({"ENGAGEMENT_SYNC_EVERY_MINUTES": "0"})

    names = [job.name for job in clock_jobs(schedule)]

    assert names == ["resend-stranded-jobs", "salesforce-reconciliations"]


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("ENGAGEMENT_SYNC_EVERY_MINUTES", "7", "divide 60"),
        ("ENGAGEMENT_SYNC_EVERY_MINUTES", "90", "whole hours"),
        ("ENGAGEMENT_SYNC_EVERY_MINUTES", "300", "divide 24"),
        ("ENGAGEMENT_SYNC_EVERY_MINUTES", "hourly", "whole number"),
        ("ENGAGEMENT_RECONCILE_HOUR", "24", "0 to 23"),
        ("ENGAGEMENT_RECONCILE_HOUR", "-1", "whole number"),
    ],
)
def test_a_bad_setting_names_its_variable_and_the_reason(variable, value, reason):
    with pytest.raises(ValueError, match=reason) as raised:
        load_schedule({variable: value})

    assert variable in str(raised.value)


@pytest.mark.parametrize(
    ("now", "hours", "minutes", "expected"),
    [
        ("2026-03-01T10:14:59", None, {0, 15, 30, 45}, "2026-03-01T10:15:00"),
        ("2026-03-01T10:15:00", None, {0, 15, 30, 45}, "2026-03-01T10:30:00"),
        ("2026-03-01T23:59:30", None, {0}, "2026-03-02T00:00:00"),
        ("2026-03-01T04:00:00", {3}, {17}, "2026-03-02T03:17:00"),
        ("2026-12-31T22:00:00", {0, 12}, {0}, "2027-01-01T00:00:00"),
    ],
)
def test_the_in_process_clock_waits_for_the_next_scheduled_minute(
    now, hours, minutes, expected
):
    after = datetime.fromisoformat(now).replace(tzinfo=UTC)

    assert next_time(after, hours, minutes) == datetime.fromisoformat(expected).replace(
        tzinfo=UTC
    )


async def test_jobs_a_stopped_process_left_unfinished_run_again(db, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    community = await f.community()
    company = await f.company(community, "Acme")
    await f.views(community, "m1", f.utc("2024-05-02T10:00"))
    change = await link_member(community.id, "m1", company.id, LinkSource.MANUAL)
    assert change.needs_attribution
    arguments = {"community_id": community.id}
    left, _ = await create_job(community.id, "enrich_members", arguments)
    await start_job(left.id)  # the process stopped while it ran

    resumed = await resume_unfinished()
    await drain()

    traffic = await company_traffic(community, f.day("2024-05-01"), f.day("2024-05-31"))
    assert resumed == [left.id]
    assert (await Job.get(id=left.id)).status is JobStatus.SUCCEEDED
    assert traffic[company.id]["page_views"] == 1
