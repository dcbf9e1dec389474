"""HTTP around the schema: key checks, body limits, health and readiness."""

from __future__ import annotations

import logging
from typing import Any

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


class GraphQLEndpoint:
    """Authenticates, then hands the request to strawberry."""

    def __init__(self, graphql: GraphQL, ide: bool):
        self.graphql = graphql
        self.ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method == "GET" and self.ide:
            await self.graphql(scope, receive, send)
            return
        if request.method != "POST":
            await error_response(405, "METHOD_NOT_ALLOWED", "use POST")(
                scope, receive, send
            )
            return

        key = await caller(request)
        if key is None:
            response = error_response(
                401, "UNAUTHENTICATED", "a valid API key is required"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return

        community = await Community.get(id=key.community_id)
        scope.setdefault("state", {})["engagement"] = RequestContext(community, key)
        await self.graphql(scope, receive, send)


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
