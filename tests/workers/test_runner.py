"""One try of a job: its time budget, and what the row says after it."""

from __future__ import annotations

from datetime import timedelta

from domain import attribution
from domain.activity import PageViewInput, record_page_views
from domain.attribution import reattribute_members
from domain.jobs import create_job
from domain.members import link_members
from domain.metrics import company_traffic
from domain.models import Job, JobStatus, Member
from tests import factories as f
from workers.runner import run_job, try_budget


def test_a_try_ends_before_the_queue_would_kill_it():
    assert try_budget(600) == 570
    assert try_budget(60) == 54
    assert try_budget(2) == 1.8
    assert try_budget(0.5) == 1.0


async def test_a_try_out_of_time_pauses_and_the_next_one_finishes(db, monkeypatch):
    monkeypatch.setattr(attribution, "BATCH", 2)
    community = await f.community()
    before = await f.company(community, "Before")
    acme = await f.company(community, "Acme")
    externals = [f"m{n}" for n in range(300)]
    await link_members(community.id, [(e, before.id) for e in externals])
    start = f.utc("2024-01-10T12:00")
    views = [
        PageViewInput(f"v-{e}", start + timedelta(hours=n), "/t", member_external_id=e)
        for n, e in enumerate(externals)
    ]
    await record_page_views(community, views)
    ids = [m.id for m in await Member.filter(community_id=community.id)]
    await reattribute_members(community.id, ids)
    await link_members(community.id, [(e, acme.id) for e in externals])
    job, _ = await create_job(
        community.id,
        "enrich_members",
        {"community_id": community.id},
    )

    delay = await run_job(job.id, attempt=1, budget=0.01)
    paused = await Job.get(id=job.id)
    finished = await run_job(job.id, attempt=2)

    traffic = await company_traffic(community, f.day("2024-01-01"), f.day("2024-01-31"))
    assert delay == 0.0
    assert paused.status is JobStatus.QUEUED and 0 < paused.progress < 1
    assert "paused after 0.01 s" in paused.error and "try 1 of" in paused.error
    assert finished is None
    assert (await Job.get(id=job.id)).status is JobStatus.SUCCEEDED
    assert traffic[acme.id]["page_views"] == 300
    assert traffic.get(before.id, {"page_views": 0})["page_views"] == 0
