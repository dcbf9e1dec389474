"""Remembered answers: served while the data is unchanged, never after a write."""

from __future__ import annotations

import asyncio

import pytest

from domain import answers
from domain.metrics import company_visitors, engagement_summary, monthly_activity
from tests import factories as f

FEBRUARY = (f.day("2024-02-01"), f.day("2024-02-29"))


async def test_an_answer_moves_on_with_every_committed_write(db):
    community = await f.community()
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta")
    await f.link(community, "m1", acme)
    await f.views(community, "m1", f.utc("2024-02-05T12:00"))

    before = await engagement_summary(community, *FEBRUARY)
    again = await engagement_summary(community, *FEBRUARY)
    await f.views(community, "m2", f.utc("2024-02-06T12:00"))
    more_views = await engagement_summary(community, *FEBRUARY)
    await f.link(community, "m1", beta)
    relinked = await company_visitors(community, *FEBRUARY)

    assert again is before  # remembered, not computed twice
    assert (before.page_views, more_views.page_views) == (1, 2)
    assert relinked == {beta.id: 1}


async def test_askers_of_one_question_share_one_computation(db):
    community = await f.community()
    computed = 0

    async def compute() -> int:
        nonlocal computed
        computed += 1
        await asyncio.sleep(0.05)
        return 42

    results = await asyncio.gather(
        *(answers.remembered(community.id, "question", compute) for _ in range(5))
    )

    assert results == [42] * 5 and computed == 1


async def test_a_failed_computation_fails_its_askers_and_is_not_remembered(db):
    community = await f.community()

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("the database went away")

    async def succeed() -> int:
        return 7

    outcomes = await asyncio.gather(
        *(answers.remembered(community.id, "q", fail) for _ in range(3)),
        return_exceptions=True,
    )
    later = await answers.remembered(community.id, "q", succeed)

    assert all(isinstance(o, RuntimeError) for o in outcomes) and later == 7


@pytest.fixture
def forgetful():
    answers.remember(False)
    yield
    answers.remember(True)


async def test_turned_off_every_answer_is_computed(db, forgetful):
    community = await f.community()

    first = await monthly_activity(community, f.day("2024-01-01"), f.day("2024-02-01"))
    second = await monthly_activity(community, f.day("2024-01-01"), f.day("2024-02-01"))

    assert first == second and first is not second
