"""API keys: random, shown once, stored as a SHA-256 hash, one community each."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.db import write_transaction
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import ApiKey, Role

KEY_PREFIX = "ce_"
# Key ids are BIGINT: a larger one names no key, and must not reach the database.
MAX_KEY_ID = 2**63 - 1


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``secret`` is shown to its owner once and never stored."""

    record: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    community_id: int, role: Role | str, name: str = ""
) -> IssuedKey:
    """Issue a key with ``role`` for one community."""
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(
            "role", f"must be one of {', '.join(r.value for r in Role)}"
        ) from None
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    record = await ApiKey.create(
        community_id=community_id,
        role=role,
        name=name[:200],
        prefix=secret[:10],
        key_hash=hash_key(secret),
    )
    return IssuedKey(record, secret)


async def authenticate(secret: str) -> ApiKey | None:
    """The live key matching ``secret``, or None for a wrong or revoked one."""
    if not secret or not secret.startswith(KEY_PREFIX):
        return None
    digest = hash_key(secret)
    record = await ApiKey.get_or_none(key_hash=digest, revoked_at=None)
    if record is None or not hmac.compare_digest(record.key_hash, digest):
        return None
    return record


async def revoke_api_key(community_id: int, key_id: int) -> ApiKey:
    """Revoke one of the community's keys; revoking twice changes nothing.

    The community's last live admin key stays: without it only the command line
    could issue keys again.
    """
    if not 0 < key_id <= MAX_KEY_ID:
        raise NotFound("id", "API key")
    async with write_transaction(community_id) as conn:
        admins = await _lock_live_admin_keys(conn, community_id)
        record = (
            await ApiKey.filter(id=key_id, community_id=community_id)
            .using_db(conn)
            .first()
        )
        if record is None:
            raise NotFound("id", "API key")
        if record.revoked_at is not None:
            return record
        if [key.id for key in admins] == [record.id]:
            raise DomainError(
                "id",
                "is the community's last admin key; issue another admin key first",
                ErrorCode.CONFLICT,
            )
        record.revoked_at = datetime.now(UTC)
        await record.save(update_fields=["revoked_at"], using_db=conn)
    return record


async def _lock_live_admin_keys(
    conn: BaseDBAsyncClient, community_id: int
) -> list[ApiKey]:
    """The live admin keys, locked in id order: two revocations cannot both pass."""
    return (
        await ApiKey.filter(community_id=community_id, role=Role.ADMIN, revoked_at=None)
        .order_by("id")
        .select_for_update()
        .using_db(conn)
    )
