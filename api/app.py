"""The ASGI application: routes, limits, and the database for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send
from tortoise.contrib.starlette import RegisterTortoise

from api import ingest
from api.http import BodyLimit, EngagementGraphQL, GraphQLEndpoint, healthz, readiness
from api.schema import build_schema
from domain.db import tortoise_config
from domain.settings import Settings, load_settings

# The dashboard (built from web/): its own files only, nothing inline, no CDN.
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


class Dashboard(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # BodyLimit's replayed receive says "disconnected" at once, which cuts
        # file bodies short; a GET of a file has no body to read anyway.
        await super().__call__(scope, _no_disconnect, send)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-cache"
        return response


async def _no_disconnect() -> Message:
    await anyio.sleep_forever()
    raise AssertionError("unreachable")


def create_app(settings: Settings | None = None) -> Starlette:
    """The whole API, configured from ``settings`` (default: the environment)."""
    settings = settings or load_settings()
    ide = not settings.is_production
    graphql = EngagementGraphQL(
        build_schema(production=settings.is_production),
        graphql_ide="graphiql" if ide else None,
        allow_queries_via_get=False,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Request handlers run in other tasks than this one: RegisterTortoise
        # opens the connections with the global fallback so they reach them.
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield

    routes = [
        Route("/graphql", GraphQLEndpoint(graphql, ide), methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readiness(settings), methods=["GET"]),
        *ingest.routes,
        Mount("/", Dashboard(directory=Path(__file__).parent / "static", html=True)),
    ]
    return Starlette(routes=routes, middleware=[Middleware(BodyLimit)], lifespan=lifespan)
