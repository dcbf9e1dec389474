"""The Segment-compatible ingestion endpoints: ``/v1/batch`` and single calls."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http import bearer_token, error_response
from domain.apikeys import authenticate
from domain.ingestion import IngestReport, ingest
from domain.models import ApiKey, Community, Role
from workers.queue import enqueue_enrichment

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 500 * 1024
_WRITERS = {Role.INTEGRATION, Role.ADMIN}


class Refused(Exception):
    def __init__(self, response: Response):
        self.response = response


def _secret(request: Request) -> str | None:
    """The key, as a Segment client sends it (Basic, key as user) or as Bearer."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] or None
    return bearer_token(request)


async def _writer(request: Request) -> ApiKey:
    secret = _secret(request)
    key = await authenticate(secret) if secret else None
    if key is None:
        raise Refused(
            error_response(401, "UNAUTHENTICATED", "a valid API key is required")
        )
    if Role(key.role) not in _WRITERS:
        raise Refused(error_response(403, "FORBIDDEN", "this needs an integration key"))
    return key


async def _body(request: Request) -> Any:
    """The JSON body, gunzipped when sent so, never over the batch limit."""
    raw = await request.body()
    if request.headers.get("content-encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, MAX_BATCH_BYTES + 1)
        except zlib.error:
            refusal = error_response(400, "BAD_REQUEST", "the body is not valid gzip")
            raise Refused(refusal) from None
    if len(raw) > MAX_BATCH_BYTES:
        message = f"a batch holds at most {MAX_BATCH_BYTES} bytes, decompressed"
        raise Refused(error_response(413, "PAYLOAD_TOO_LARGE", message))
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused(
            error_response(400, "BAD_REQUEST", "the body is not JSON")
        ) from None


def _method_not_allowed() -> Response:
    response = error_response(405, "METHOD_NOT_ALLOWED", "use POST")
    response.headers["Allow"] = "POST"
    return response


def _answer(report: IngestReport, received: int, started: float) -> JSONResponse:
    return JSONResponse(
        {
            "success": True,
            "received": received,
            "stored": {
                "pageViews": report.page_views,
                "contributions": report.contributions,
                "identifies": report.identifies,
                "groups": report.groups,
                "otherEvents": report.other_events,
            },
            "duplicates": report.duplicates,
            "errors": [
                {"index": index, "field": field, "message": message}
                for index, field, message in report.errors
            ],
            "tookMs": round((time.perf_counter() - started) * 1000, 1),
        }
    )


async def _ingest(request: Request, single: str | None) -> Response:
    started = time.perf_counter()
    if request.method != "POST":
        return _method_not_allowed()
    try:
        key = await _writer(request)
        payload = await _body(request)
    except Refused as refused:
        return refused.response
    if not isinstance(payload, dict):
        return error_response(400, "BAD_REQUEST", "the body must be a JSON object")

    messages = [{**payload, "type": single}] if single else payload.get("batch")
    if not isinstance(messages, list):
        return error_response(400, "BAD_REQUEST", "'batch' must be a list of messages")
    community = await Community.get(id=key.community_id)
    report = await ingest(community, messages, datetime.now(UTC), payload.get("sentAt"))
    await enqueue_enrichment(
        community.id, [c.member.id for c in report.relinked if c.needs_attribution]
    )

    log.info(
        "ingest.batch",
        extra={
            "community": community.id,
            "messages": len(messages),
            "page_views": report.page_views,
            "errors": len(report.errors),
        },
    )
    return _answer(report, len(messages), started)


async def batch(request: Request) -> Response:
    return await _ingest(request, None)


def _single(kind: str):
    async def endpoint(request: Request) -> Response:
        return await _ingest(request, kind)

    endpoint.__name__ = kind
    return endpoint


# The endpoints take every common method and refuse all but POST themselves: a
# route limited to POST would leave the others to the dashboard's catch-all 404.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
routes = [
    Route("/v1/batch", batch, methods=_METHODS),
    *(
        Route(f"/v1/{kind}", _single(kind), methods=_METHODS)
        for kind in ("page", "track", "identify", "group")
    ),
]
