"""``engagement demo`` answers what a naive count of its generated data says."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date

import pytest

from demo.generator import build_world
from tests.demo_reference import naive_answer, printed_answer, printed_world, rounded

AS_OF = date(2026, 12, 4)


@pytest.mark.timeout(600)
async def test_the_demo_answers_what_its_data_says(database_url, db):
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)

    run = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "cli",
            "demo",
            "--no-serve",
            "--size",
            "small",
            "--as-of",
            AS_OF.isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=580,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    answer = printed_answer(run.stdout)
    expected = naive_answer(build_world("small", today=AS_OF))
    assert rounded(answer) == rounded(expected)
    assert len(answer["monthlyActivity"]) == 12
    assert printed_world(run.stdout, "small") == build_world("small", today=AS_OF)
