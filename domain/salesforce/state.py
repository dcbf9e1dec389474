"""The sync state row: watermarks, and the lease that serialises syncs.

Taking the lease is a compare-and-swap on its token, so two workers racing for
it cannot both win; an expired lease (a worker that died) can be taken over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.models import SalesforceSyncState
from domain.salesforce.errors import SyncBusy

LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class Watermark:
    """The (SystemModstamp, Id) of the last record whose data is committed."""

    modstamp: datetime
    last_id: str

    def key(self) -> tuple[datetime, str]:
        return (self.modstamp, self.last_id)


async def load_state(community_id: int) -> SalesforceSyncState:
    state, _ = await SalesforceSyncState.get_or_create(community_id=community_id)
    return state


def watermark_of(state: SalesforceSyncState, sobject: str) -> Watermark | None:
    prefix = _prefix(sobject)
    modstamp = getattr(state, f"{prefix}_modstamp")
    last_id = getattr(state, f"{prefix}_last_id")
    if modstamp is None or last_id is None:
        return None
    return Watermark(modstamp.astimezone(UTC), last_id)


async def store_watermark(
    conn: BaseDBAsyncClient,
    community_id: int,
    token: str,
    sobject: str,
    mark: Watermark,
) -> None:
    """Move the watermark inside the transaction of the data it covers."""
    prefix = _prefix(sobject)
    updated = (
        await SalesforceSyncState.filter(community_id=community_id, lease_token=token)
        .using_db(conn)
        .update(
            **{f"{prefix}_modstamp": mark.modstamp, f"{prefix}_last_id": mark.last_id},
            lease_until=datetime.now(UTC) + LEASE,
        )
    )
    if not updated:
        raise SyncBusy("the sync lease was lost to another worker; this run stopped")


async def acquire_lease(community_id: int, lease: timedelta = LEASE) -> str:
    """Take the community's sync lease, or SyncBusy while another run holds it."""
    state = await load_state(community_id)
    now = datetime.now(UTC)
    if state.lease_token and state.lease_until and state.lease_until > now:
        raise SyncBusy("another Salesforce sync of this community is running")
    token = uuid.uuid4().hex
    taken = await SalesforceSyncState.filter(
        id=state.id, lease_token=state.lease_token
    ).update(lease_token=token, lease_until=now + lease, last_run_at=now)
    if not taken:
        raise SyncBusy("another Salesforce sync of this community has just started")
    return token


async def renew_lease(community_id: int, token: str, lease: timedelta = LEASE) -> None:
    renewed = await SalesforceSyncState.filter(
        community_id=community_id, lease_token=token
    ).update(lease_until=datetime.now(UTC) + lease)
    if not renewed:
        raise SyncBusy("the sync lease was lost to another worker; this run stopped")


async def release_lease(community_id: int, token: str, error: str | None) -> None:
    await SalesforceSyncState.filter(
        community_id=community_id, lease_token=token
    ).update(lease_token=None, lease_until=None, last_error=error)


def _prefix(sobject: str) -> str:
    return {"Account": "accounts", "Contact": "contacts"}[sobject]
