"""Admins manage keys; the community always keeps one live admin key."""

from __future__ import annotations

import asyncio

from domain.apikeys import create_api_key, revoke_api_key
from domain.errors import DomainError, ErrorCode
from domain.models import ApiKey, Role
from tests import factories as f

REVOKE = """
mutation($id: ID!) {
  revokeApiKey(input: {id: $id}) { apiKey { id revokedAt } userErrors { field code } }
}
"""


async def _live_admin_keys(community_id: int) -> list[int]:
    rows = await ApiKey.filter(
        community_id=community_id, role=Role.ADMIN, revoked_at=None
    ).order_by("id")
    return [row.id for row in rows]


async def test_the_last_admin_key_cannot_revoke_itself(admin, community):
    own = admin.context.api_key.id

    data = await admin.ok(REVOKE, id=str(own))

    assert data == {
        "revokeApiKey": {
            "apiKey": None,
            "userErrors": [{"field": "id", "code": "CONFLICT"}],
        }
    }
    assert await _live_admin_keys(community.id) == [own]


async def test_the_last_admin_key_stays_while_other_roles_remain(admin, community):
    await create_api_key(community.id, Role.VIEWER)
    await create_api_key(community.id, Role.INTEGRATION)

    data = await admin.ok(REVOKE, id=str(admin.context.api_key.id))

    assert data["revokeApiKey"]["userErrors"] == [{"field": "id", "code": "CONFLICT"}]
    assert await _live_admin_keys(community.id) == [admin.context.api_key.id]


async def test_an_admin_key_goes_while_another_stays(admin, community):
    other = await create_api_key(community.id, Role.ADMIN, "second admin")

    data = await admin.ok(REVOKE, id=str(other.record.id))

    assert data["revokeApiKey"]["userErrors"] == []
    assert data["revokeApiKey"]["apiKey"]["id"] == str(other.record.id)
    assert data["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    assert await _live_admin_keys(community.id) == [admin.context.api_key.id]


async def test_a_revoked_admin_key_is_revoked_again_without_a_conflict(
    admin, community
):
    other = await create_api_key(community.id, Role.ADMIN, "second admin")
    await admin.ok(REVOKE, id=str(other.record.id))

    again = await admin.ok(REVOKE, id=str(other.record.id))

    assert again["revokeApiKey"]["userErrors"] == []
    assert await _live_admin_keys(community.id) == [admin.context.api_key.id]


async def test_another_communitys_last_admin_key_is_not_counted(admin, community):
    elsewhere = await f.community()
    await create_api_key(elsewhere.id, Role.ADMIN)

    data = await admin.ok(REVOKE, id=str(admin.context.api_key.id))

    assert data["revokeApiKey"]["userErrors"] == [{"field": "id", "code": "CONFLICT"}]


async def test_two_admins_revoking_each_other_at_once_leave_one(community):
    first = await create_api_key(community.id, Role.ADMIN)
    second = await create_api_key(community.id, Role.ADMIN)

    outcomes = await asyncio.gather(
        revoke_api_key(community.id, first.record.id),
        revoke_api_key(community.id, second.record.id),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert [e.code for e in refused] == [ErrorCode.CONFLICT]
    assert len(await _live_admin_keys(community.id)) == 1
