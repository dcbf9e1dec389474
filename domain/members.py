"""Members and their link to a company.

A link change is a cheap write on the member row. Crediting the member's
stored history to the new company is ``domain.attribution``'s job, which a
worker runs after the link has committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import fetch, write_transaction
from domain.errors import DomainError, NotFound
from domain.models import Company, LinkSource, Member
from domain.sql import in_list, insert_ignoring_duplicates
from domain.text import check_storable

MAX_EXTERNAL_ID = 255


def check_external_id(value: str, field: str = "externalId") -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(field, "must not be empty")
    if len(text) > MAX_EXTERNAL_ID:
        raise DomainError(field, f"must be at most {MAX_EXTERNAL_ID} characters")
    check_storable(text, field)
    return text


async def get_member(community_id: int, external_id: str) -> Member | None:
    return await Member.get_or_none(community_id=community_id, external_id=external_id)


async def resolve_members(
    conn: BaseDBAsyncClient, community_id: int, external_ids: Iterable[str]
) -> dict[str, int]:
    """The member id of each external id, creating members seen for the first time."""
    wanted = sorted(set(external_ids))
    if not wanted:
        return {}
    found = await _member_ids(conn, community_id, wanted)
    missing = [external_id for external_id in wanted if external_id not in found]
    if missing:
        now = datetime.now(UTC)
        await insert_ignoring_duplicates(
            conn,
            "member",
            [
                ("community_id", "int"),
                ("external_id", "text"),
                ("link_version", "int"),
                ("attributed_version", "int"),
                ("traits", "jsonb"),
                ("created_at", "timestamptz"),
            ],
            [[community_id, external_id, 0, 0, "{}", now] for external_id in missing],
            conflict="community_id, external_id",
            returning="id",
        )
        found |= await _member_ids(conn, community_id, missing)
    return found


async def _member_ids(
    conn: BaseDBAsyncClient, community_id: int, external_ids: list[str]
) -> dict[str, int]:
    condition, values = in_list("external_id", external_ids, conn, "text")
    rows = await fetch(
        f"SELECT id, external_id FROM member WHERE community_id = ? AND {condition}",
        [community_id, *values],
        conn,
    )
    return {row["external_id"]: row["id"] for row in rows}


@dataclass(frozen=True)
class LinkChange:
    """The member after a link request, and whether its company changed."""

    member: Member
    changed: bool

    @property
    def needs_attribution(self) -> bool:
        """The member's history is not yet credited as its current link says."""
        return self.member.attributed_version != self.member.link_version


async def link_member(
    community_id: int,
    external_id: str,
    company_id: int | None,
    source: LinkSource = LinkSource.MANUAL,
) -> LinkChange:
    """Point a member at a company (or at none), creating the member if new.

    A manual link is never replaced by an automatic one.
    """
    changes = await link_members(community_id, [(external_id, company_id)], source)
    return changes[0]


async def link_members(
    community_id: int,
    links: Sequence[tuple[str, int | None]],
    source: LinkSource = LinkSource.MANUAL,
) -> list[LinkChange]:
    """Apply many links in one transaction: all of them, or none on bad input."""
    cleaned = _check_links(links)
    await _check_companies(community_id, {c for _, c in cleaned if c is not None})

    async with write_transaction(community_id) as conn:
        ids = await resolve_members(conn, community_id, [e for e, _ in cleaned])
        members = (
            await Member.filter(id__in=list(ids.values()))
            .select_for_update()
            .using_db(conn)
        )
        by_id = {member.id: member for member in members}
        changes = []
        for external_id, company_id in cleaned:
            member = by_id[ids[external_id]]
            changes.append(await _apply_link(conn, member, company_id, source))
    return changes


def _check_links(
    links: Sequence[tuple[str, int | None]],
) -> list[tuple[str, int | None]]:
    """The links with clean external ids, each member named once.

    A member named twice in one call has no single answer (which link wins,
    and did it change?), so the call is refused rather than guessed.
    """
    cleaned: list[tuple[str, int | None]] = []
    first_seen: dict[str, int] = {}
    for index, (external_id, company_id) in enumerate(links):
        field = f"links[{index}].externalId"
        text = check_external_id(external_id, field)
        if text in first_seen:
            earlier = f"links[{first_seen[text]}].externalId"
            raise DomainError(field, f"appears twice: {earlier} names the same member")
        first_seen[text] = index
        cleaned.append((text, company_id))
    return cleaned


async def _check_companies(community_id: int, company_ids: set[int]) -> None:
    """Every company must be this community's: another's is simply not found."""
    if not company_ids:
        return
    found = await Company.filter(
        community_id=community_id, id__in=list(company_ids)
    ).count()
    if found != len(company_ids):
        raise NotFound("companyId", "company")


async def _apply_link(
    conn: BaseDBAsyncClient, member: Member, company_id: int | None, source: LinkSource
) -> LinkChange:
    if _keeps_manual_link(member, source):
        return LinkChange(member, changed=False)

    changed = member.company_id != company_id
    member.company_id = company_id
    member.link_source = source if company_id is not None else None
    member.linked_at = datetime.now(UTC) if company_id is not None else None
    if changed:
        member.link_version += 1
    await member.save(using_db=conn)
    return LinkChange(member, changed)


def _keeps_manual_link(member: Member, source: LinkSource) -> bool:
    return (
        source is not LinkSource.MANUAL
        and member.link_source is LinkSource.MANUAL
        and member.company_id is not None
    )


async def unlink_member(community_id: int, external_id: str) -> LinkChange:
    """Detach a member from its company; its history leaves the company too."""
    external_id = check_external_id(external_id)
    member = await get_member(community_id, external_id)
    if member is None:
        raise NotFound("externalId", "member")
    return await link_member(community_id, external_id, None, LinkSource.MANUAL)


async def pending_attribution(community_id: int) -> list[int]:
    """Members whose link changed after their history was last credited."""
    rows = await fetch(
        "SELECT id FROM member WHERE community_id = ? AND attributed_version <> link_version"
        " ORDER BY id",
        [community_id],
    )
    return [row["id"] for row in rows]
