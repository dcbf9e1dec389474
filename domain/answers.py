"""Answers of the metrics, remembered while a community's data is unchanged.

A dashboard asks the same questions over and over: every viewer's first
screen is the same year. An answer is kept under the community's
``data_version``, which every committed write moves on (see
``domain.db.write_transaction``), so it is served only while no write has
committed since. Concurrent askers of one question share one computation.

The memory is per process and bounded; each process fills its own.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from domain.db import fetch

T = TypeVar("T")

MAX_ANSWERS = 256

_answers: OrderedDict[Hashable, Any] = OrderedDict()
_pending: dict[Hashable, asyncio.Future[Any]] = {}
_enabled = True


async def data_version(community_id: int) -> int:
    rows = await fetch(
        "SELECT data_version FROM community WHERE id = ?", [community_id]
    )
    return int(rows[0]["data_version"]) if rows else 0


async def remembered(
    community_id: int, question: Hashable, compute: Callable[[], Awaitable[T]]
) -> T:
    """The answer to ``question`` for the community's data as it is now."""
    if not _enabled:
        return await compute()
    key = (community_id, await data_version(community_id), question)
    if key in _answers:
        _answers.move_to_end(key)
        return _answers[key]  # type: ignore[no-any-return]
    shared = _pending.get(key)
    if shared is not None:
        try:
            return await asyncio.shield(shared)  # type: ignore[no-any-return]
        except asyncio.CancelledError:
            if not shared.cancelled():
                raise  # this asker was cancelled, not the computation
        return await compute()

    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    _pending[key] = future
    try:
        answer = await compute()
    except asyncio.CancelledError:
        future.cancel()
        raise
    except Exception as error:
        future.set_exception(error)
        future.exception()  # retrieved: nobody may be waiting for it
        raise
    finally:
        _pending.pop(key, None)
    future.set_result(answer)
    _answers[key] = answer
    while len(_answers) > MAX_ANSWERS:
        _answers.popitem(last=False)
    return answer


def forget() -> None:
    """Drop every remembered answer (benchmarks time the computation itself)."""
    _answers.clear()


def remember(enabled: bool) -> None:
    """Turn remembering on or off for this process."""
    global _enabled
    _enabled = enabled
    forget()
