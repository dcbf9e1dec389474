"""The job functions, by kind. Each is thin: ids in, one domain call, a result out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from domain.attribution import reattribute_members
from workers.progress import progress

Task = Callable[..., Awaitable[dict[str, Any]]]


async def enrich_members(community_id: int, member_ids: list[int]) -> dict[str, Any]:
    """Credit the members' whole history to the companies they are linked to now."""
    moved = await reattribute_members(community_id, member_ids, progress=progress)
    return {"members": len(member_ids), "monthRowsMoved": moved}


TASKS: dict[str, Task] = {
    "enrich_members": enrich_members,
}
