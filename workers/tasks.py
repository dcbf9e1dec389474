"""The job functions, by kind. Each is thin: ids in, one domain call, a result out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from domain.attribution import reattribute_pending
from domain.errors import RetryLater
from domain.salesforce import sync as salesforce
from domain.salesforce.errors import RateLimited, SyncBusy, Transient
from workers.progress import progress

Task = Callable[..., Awaitable[dict[str, Any]]]

# Salesforce counts API requests over a rolling 24 hours: try much later.
RATE_LIMIT_DELAY = 3600.0
BUSY_DELAY = 120.0
OUTAGE_DELAY = 300.0


async def enrich_members(community_id: int) -> dict[str, Any]:
    """Credit each relinked member's whole history to the company it has now."""
    members, moved = await reattribute_pending(community_id, progress=progress)
    return {"members": members, "monthRowsMoved": moved}


async def sync_salesforce(community_id: int, full: bool = False) -> dict[str, Any]:
    """Sync the community's Salesforce accounts and contacts, then re-attribute."""
    from workers.queue import enqueue_enrichment  # the queue imports this module

    try:
        report = await salesforce.sync_salesforce(community_id, full=full)
    except RateLimited as error:
        reason = f"{error}; what was committed is kept, the sync runs again later"
        raise RetryLater(reason, RATE_LIMIT_DELAY) from error
    except SyncBusy as error:
        raise RetryLater(str(error), BUSY_DELAY) from error
    except Transient as error:
        raise RetryLater(f"{error}; committed work is kept", OUTAGE_DELAY) from error
    job = await enqueue_enrichment(community_id, report.relinked_members)
    return {**report.as_result(), "enrichmentJob": job.id if job else None}


async def reconcile_salesforce(community_id: int) -> dict[str, Any]:
    """Compare every account id with Salesforce's; purged ones stop being customers."""
    try:
        report = await salesforce.reconcile_salesforce(community_id)
    except RateLimited as error:
        raise RetryLater(str(error), RATE_LIMIT_DELAY) from error
    except SyncBusy as error:
        raise RetryLater(str(error), BUSY_DELAY) from error
    return {
        "salesforceAccounts": report.salesforce_accounts,
        "purged": report.purged,
        "missingHere": report.missing_here,
    }


TASKS: dict[str, Task] = {
    "enrich_members": enrich_members,
    "sync_salesforce": sync_salesforce,
    "reconcile_salesforce": reconcile_salesforce,
}
