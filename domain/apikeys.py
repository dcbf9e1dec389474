"""API keys: random, shown once, stored as a SHA-256 hash, one community each."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.errors import DomainError, NotFound
from domain.models import ApiKey, Role

KEY_PREFIX = "ce_"


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


async def revoke_api_key(community_id: int, key_id: int | str) -> ApiKey:
    """Revoke one of the community's keys; revoking twice changes nothing."""
    try:
        record = await ApiKey.get_or_none(id=int(key_id), community_id=community_id)
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise NotFound("id", "API key")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        await record.save(update_fields=["revoked_at"])
    return record
