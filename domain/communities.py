"""Communities: the tenants, their reporting time zone and lurker threshold."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import Community
from domain.periods import parse_zone
from domain.rebuild import rebuild_rollups

MAX_LURKER_THRESHOLD = 1_000_000


def zone_of(community: Community) -> ZoneInfo:
    return ZoneInfo(community.timezone)


def _check_threshold(value: int) -> int:
    if not 0 <= value <= MAX_LURKER_THRESHOLD:
        raise DomainError(
            "lurkerThreshold",
            f"must be between 0 and {MAX_LURKER_THRESHOLD}",
            ErrorCode.OUT_OF_RANGE,
        )
    return value


async def create_community(
    name: str, timezone: str = "UTC", lurker_threshold: int = 0
) -> Community:
    """Create a community after checking every setting."""
    if not name or not name.strip():
        raise DomainError("name", "must not be empty")
    parse_zone(timezone)
    _check_threshold(lurker_threshold)
    return await Community.create(
        name=name.strip(), timezone=timezone, lurker_threshold=lurker_threshold
    )


async def get_community(community_id: int) -> Community:
    community = await Community.get_or_none(id=community_id)
    if community is None:
        raise NotFound("community", "community")
    return community


async def update_community_settings(
    community: Community,
    timezone: str | None = None,
    lurker_threshold: int | None = None,
) -> Community:
    """Change the settings; a new time zone re-cuts every local day and month."""
    if timezone is not None:
        parse_zone(timezone)
    if lurker_threshold is not None:
        _check_threshold(lurker_threshold)

    async with in_transaction() as conn:
        zone_changed = timezone is not None and timezone != community.timezone
        if timezone is not None:
            community.timezone = timezone
        if lurker_threshold is not None:
            community.lurker_threshold = lurker_threshold
        await community.save(using_db=conn)
        if zone_changed:
            await rebuild_rollups(conn, community.id, ZoneInfo(community.timezone))
    return community
