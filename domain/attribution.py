"""Retroactive enrichment: credit members' whole history to their current company."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence

from domain.db import write_transaction
from domain.members import pending_attribution
from domain.reattribution import reattribute

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
# Members re-attributed per transaction, which bounds memory and lock time. None
# reads ENGAGEMENT_ATTRIBUTION_BATCH when an enrichment runs, so a bad value
# fails that work with its reason, never every command at import.
BATCH: int | None = None


def attribution_batch() -> int:
    """Members per transaction: ``BATCH``, else the environment's, else 500."""
    if BATCH is not None:
        return BATCH
    raw = os.environ.get("ENGAGEMENT_ATTRIBUTION_BATCH", "").strip()
    if not raw:
        return DEFAULT_BATCH
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise ValueError(
            f"ENGAGEMENT_ATTRIBUTION_BATCH must be a whole number above 0; got {raw!r}"
        )
    return size


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
    batch = attribution_batch()
    started = time.perf_counter()
    moved = 0
    ordered = sorted(set(member_ids))
    for start in range(0, len(ordered), batch):
        async with write_transaction(community_id) as conn:
            moved += await reattribute(
                conn, community_id, ordered[start : start + batch]
            )
        if progress is not None:
            await progress(min(1.0, (start + batch) / len(ordered)))
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
