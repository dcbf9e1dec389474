"""HTTP around the schema: key checks, body limits, health and readiness."""

from __future__ import annotations

import json
import logging
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.context import RequestContext
from domain.apikeys import authenticate
from domain.db import fetch
from domain.models import ApiKey, Community
from domain.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
NOT_JSON = "Unable to parse request body as JSON"  # strawberry's words


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def caller(request: Request) -> ApiKey | None:
    """The live API key of the request, or None."""
    token = bearer_token(request)
    return await authenticate(token) if token else None


class EngagementGraphQL(GraphQL):
    # strawberry types the context as None unless told; ours is RequestContext.
    async def get_context(  # type: ignore[override]
        self, request: Any, response: Any
    ) -> RequestContext:
        context: RequestContext = request.state.engagement
        context.request, context.response = request, response
        return context

    def decode_json(self, data: str | bytes) -> object:
        # strawberry reads the body as an object (or a list, refused as a batch)
        # and fails on anything else; here every such body is the same 400.
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError):
            raise HTTPException(400, NOT_JSON) from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "the body must be a JSON object")
        return decoded


class GraphQLEndpoint:
    """Authenticates, then hands the request to strawberry.

    Every refusal, ours or strawberry's, answers ``{"error": {"code", "message"}}``.
    """

    def __init__(self, graphql: GraphQL, ide: bool):
        self.graphql = graphql
        self.ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self._respond(request)
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        if request.method == "GET" and self._wants_ide(request):
            # The page itself is public; the queries it sends still need a key.
            return await self.graphql.render_graphql_ide(request)
        if request.method != "POST":
            return error_response(405, "METHOD_NOT_ALLOWED", "use POST")

        key = await caller(request)
        if key is None:
            response = error_response(
                401, "UNAUTHENTICATED", "a valid API key is required"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            return response

        community = await Community.get(id=key.community_id)
        request.scope.setdefault("state", {})["engagement"] = RequestContext(
            community, key
        )
        try:
            return await self.graphql.run(request)
        except HTTPException as refused:
            code = _HTTP_CODES.get(refused.status_code, "BAD_REQUEST")
            return error_response(refused.status_code, code, refused.reason)

    def _wants_ide(self, request: Request) -> bool:
        adapter = self.graphql.request_adapter_class(request)
        return self.ide and self.graphql.should_render_graphql_ide(adapter)


# strawberry's refusals (a body that is not JSON, no query) by HTTP status.
_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with a 413, before any work."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return

        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return

        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than {self.limit} bytes"
        await error_response(413, "PAYLOAD_TOO_LARGE", message)(scope, receive, send)


def _replay(body: bytes, upstream: Receive) -> Receive:
    """The body already read, then whatever the connection says next."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await upstream()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readiness(settings: Settings):
    async def readyz(request: Request) -> Response:
        checks = {"database": await _database_ready()}
        if settings.redis_url:
            checks["redis"] = await _redis_ready(settings.redis_url)
        ready = all(checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz


async def _database_ready() -> bool:
    try:
        await fetch("SELECT 1 AS ok")
    except Exception:
        log.warning("readiness.database_unreachable", exc_info=True)
        return False
    return True


async def _redis_ready(url: str) -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(await client.ping())
    except Exception:
        log.warning("readiness.redis_unreachable")
        return False
    finally:
        await client.aclose()
