"""Progress of the running job, for tasks to report without knowing the job.

Reporting progress is also where a try that has run out of time stops: a task
reports between the pieces of work it commits, so stopping there leaves no
transaction or connection half-way.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from dataclasses import dataclass

from domain.errors import RetryLater
from domain.jobs import report_progress

current_job: ContextVar[str | None] = ContextVar("current_job", default=None)


@dataclass(frozen=True)
class TryTime:
    """When the running try started, and its budget in seconds (None: no bound)."""

    started: float
    budget: float | None

    @property
    def over(self) -> bool:
        return (
            self.budget is not None and time.monotonic() - self.started >= self.budget
        )


_try_time: ContextVar[TryTime | None] = ContextVar("try_time", default=None)


class OutOfTime(RetryLater):
    """The try has used its time; the next one resumes from what it committed."""

    def __init__(self, budget: float):
        super().__init__(
            f"paused after {budget:g} s; resumes from what it committed", 0.0
        )


async def progress(fraction: float) -> None:
    """Record how far the running job has got, between 0 and 1."""
    job_id = current_job.get()
    if job_id is not None:
        await report_progress(job_id, fraction)
    timing = _try_time.get()
    if (
        timing is not None
        and timing.budget is not None
        and timing.over
        and fraction < 1
    ):
        raise OutOfTime(timing.budget)


def start_try(budget: float | None) -> Token[TryTime | None]:
    """Start timing the running try; reset the token when it ends."""
    return _try_time.set(TryTime(time.monotonic(), budget))


def end_try(token: Token[TryTime | None]) -> None:
    _try_time.reset(token)
