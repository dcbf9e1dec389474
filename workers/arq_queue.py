"""ARQ, behind ``workers.queue``: the pool, the serializer, the worker settings."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Retry, func

from domain.db import close_database, open_database
from workers.runner import MAX_TRIES, run_job

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


async def _run(ctx: dict[str, Any], job_id: str) -> None:
    delay = await run_job(job_id, ctx["job_try"], MAX_TRIES)
    if delay is not None:
        raise Retry(defer=delay)


async def _startup(ctx: dict[str, Any]) -> None:
    await open_database()
    log.info("worker.start")


async def _shutdown(ctx: dict[str, Any]) -> None:
    # ARQ calls this from another task than _startup; the connections were
    # opened with the global fallback, so closing them here reaches them.
    await close_database()
    await close_pools()
    log.info("worker.stop", extra={"database": "closed"})


class WorkerSettings:
    functions = [func(_run, name="run_job", max_tries=MAX_TRIES)]
    on_startup = _startup
    on_shutdown = _shutdown
    redis_settings = RedisSettings.from_dsn(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))
    queue_name = QUEUE
    job_serializer = serialize
    job_deserializer = deserialize
    max_jobs = 10
    # A killed worker's job is picked up again once this (plus ten seconds)
    # has passed; the job then resumes from what its last run committed.
    job_timeout = int(os.environ.get("ENGAGEMENT_JOB_TIMEOUT", "600"))
