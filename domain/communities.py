"""Communities: the tenants, their reporting time zone and lurker threshold."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from domain.db import write_transaction
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import Community, ContributionKind, GroupKey
from domain.periods import parse_zone
from domain.rebuild import ROLLUPS_VERSION, rebuild_rollups
from domain.text import check_storable

MAX_LURKER_THRESHOLD = 1_000_000
MAX_EVENT_NAMES = 100
MAX_EVENT_NAME = 200
# Track events that are contributions in every community, unless it says otherwise.
DEFAULT_EVENT_KINDS = {
    "Topic Created": ContributionKind.TOPIC,
    "Reply Posted": ContributionKind.REPLY,
    "Reaction Added": ContributionKind.REACTION,
    "Solution Accepted": ContributionKind.SOLUTION,
    "Idea Submitted": ContributionKind.IDEA,
}


def zone_of(community: Community) -> ZoneInfo:
    return ZoneInfo(community.timezone)


def event_kinds(community: Community) -> dict[str, ContributionKind]:
    """The community's map of track event names to contribution kinds."""
    custom = community.event_kinds or {}
    return {
        **DEFAULT_EVENT_KINDS,
        **{k: ContributionKind(v) for k, v in custom.items()},
    }


def _check_event_kinds(events: Mapping[str, ContributionKind]) -> dict[str, str]:
    if len(events) > MAX_EVENT_NAMES:
        raise DomainError(
            "contributionEvents",
            f"at most {MAX_EVENT_NAMES} event names",
            ErrorCode.OUT_OF_RANGE,
        )
    for index, name in enumerate(events):
        field = f"contributionEvents[{index}].event"
        if not name.strip() or len(name) > MAX_EVENT_NAME:
            raise DomainError(field, f"must be 1 to {MAX_EVENT_NAME} characters")
        check_storable(name, field)
    return {name: kind.value for name, kind in events.items()}


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
        name=name.strip(),
        timezone=timezone,
        lurker_threshold=lurker_threshold,
        rollups_version=ROLLUPS_VERSION,  # nothing to rebuild yet
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
    group_key: GroupKey | None = None,
    event_names: Mapping[str, ContributionKind] | None = None,
) -> Community:
    """Change the settings given; a new time zone re-cuts every day and month.

    ``event_names`` replaces the community's own map of track events to
    contribution kinds; the defaults apply to every name it does not hold.
    """
    if timezone is not None:
        parse_zone(timezone)
    if lurker_threshold is not None:
        _check_threshold(lurker_threshold)
    custom = _check_event_kinds(event_names) if event_names is not None else None

    async with write_transaction(community.id) as conn:
        zone_changed = timezone is not None and timezone != community.timezone
        if timezone is not None:
            community.timezone = timezone
        if lurker_threshold is not None:
            community.lurker_threshold = lurker_threshold
        if group_key is not None:
            community.group_key = group_key
        if custom is not None:
            community.event_kinds = custom or None
        await community.save(using_db=conn)
        if zone_changed:
            await rebuild_rollups(conn, community.id, ZoneInfo(community.timezone))
    return community
