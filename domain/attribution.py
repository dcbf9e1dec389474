"""Retroactive enrichment: credit members' whole history to their current company."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence

from tortoise.transactions import in_transaction

from domain.members import pending_attribution
from domain.rollups import reattribute

log = logging.getLogger(__name__)

# Members re-attributed per transaction: bounds memory and lock time.
BATCH = int(os.environ.get("ENGAGEMENT_ATTRIBUTION_BATCH", "500"))


async def reattribute_members(
    community_id: int,
    member_ids: Sequence[int],
    progress: Callable[[float], Awaitable[None]] | None = None,
) -> int:
    """Move the rollups of ``member_ids`` to their current companies.

    Idempotent and safe to run concurrently; returns the month rows moved.
    Each batch commits on its own, so an interrupted run resumes where the
    rollups show it stopped.
    """
    started = time.perf_counter()
    moved = 0
    ordered = sorted(set(member_ids))
    for start in range(0, len(ordered), BATCH):
        async with in_transaction() as conn:
            moved += await reattribute(
                conn, community_id, ordered[start : start + BATCH]
            )
        if progress is not None:
            await progress(min(1.0, (start + BATCH) / len(ordered)))
    log.info(
        "attribution.done",
        extra={
            "community": community_id,
            "members": len(ordered),
            "rows_moved": moved,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return moved


async def reattribute_pending(
    community_id: int, progress: Callable[[float], Awaitable[None]] | None = None
) -> tuple[int, int]:
    """Credit every member whose link changed since its history was last credited.

    Returns how many members were pending and how many month rows moved.
    """
    pending = await pending_attribution(community_id)
    moved = await reattribute_members(community_id, pending, progress)
    return len(pending), moved
