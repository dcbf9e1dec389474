"""``engagement demo`` answers what a naive count of its generated data says."""

from __future__ import annotations

from demo.generator import build_world
from tests.demo_reference import naive_answer, printed_answer, printed_world, rounded


def test_the_demo_answers_what_its_data_says(demo_run):
    world = build_world("small", today=demo_run.as_of)

    answer = printed_answer(demo_run.stdout)

    assert rounded(answer) == rounded(naive_answer(world))
    assert len(answer["monthlyActivity"]) == 12
    assert printed_world(demo_run.stdout, "small") == world
