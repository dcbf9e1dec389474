"""ARQ's enqueue side, behind ``workers.queue``: the pool and the serializer."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

log = logging.getLogger(__name__)


# JSON, not pickle: a job carries ids only, and Redis contents stay inert data.
def serialize(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


def deserialize(raw: bytes) -> dict[str, Any]:
    return json.loads(raw)


_pools: dict[str, ArqRedis] = {}
QUEUE = os.environ.get("ENGAGEMENT_QUEUE", "engagement:queue")


async def _pool(redis_url: str) -> ArqRedis:
    if redis_url not in _pools:
        _pools[redis_url] = await create_pool(
            RedisSettings.from_dsn(redis_url),
            job_serializer=serialize,
            job_deserializer=deserialize,
            default_queue_name=QUEUE,
        )
    return _pools[redis_url]


async def send(redis_url: str, job_id: str) -> None:
    """Hand a job row to the workers; ARQ's job id stops a second delivery."""
    pool = await _pool(redis_url)
    await pool.enqueue_job("run_job", job_id, _job_id=job_id)


async def close_pools() -> None:
    for pool in _pools.values():
        await pool.aclose()
    _pools.clear()
