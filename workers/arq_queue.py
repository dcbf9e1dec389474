"""ARQ's enqueue side, behind ``workers.queue``: the pool and the serializer."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


# JSON, not pickle: a job carries ids only, and Redis contents stay inert data.
def serialize(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


def deserialize(raw: bytes) -> dict[str, Any]:
    return json.loads(raw)


_pools: dict[str, ArqRedis] = {}
QUEUE = os.environ.get("ENGAGEMENT_QUEUE", "engagement:queue")


# What a Redis that is away raises, through ARQ's pool.
QUEUE_UNREACHABLE = (OSError, RedisError, asyncio.TimeoutError)


async def _pool(redis_url: str) -> ArqRedis:
    if redis_url not in _pools:
        settings = RedisSettings.from_dsn(redis_url)
        # A request that queues a job waits at most a few seconds for Redis.
        settings.conn_retries, settings.conn_timeout = 1, 2
        _pools[redis_url] = await create_pool(
            settings,
            job_serializer=serialize,
            job_deserializer=deserialize,
            default_queue_name=QUEUE,
        )
    return _pools[redis_url]


async def send(redis_url: str, job_id: str) -> bool:
    """Hand a job row to the workers; False when ARQ holds that job already.

    ARQ's job id stops a second delivery of the same row.
    """
    pool = await _pool(redis_url)
    return await pool.enqueue_job("run_job", job_id, _job_id=job_id) is not None


async def close_pools() -> None:
    for pool in _pools.values():
        await pool.aclose()
    _pools.clear()
