"""The ASGI application: routes, limits, and the database for its lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from tortoise.contrib.starlette import RegisterTortoise

from api import ingest
from api.http import BodyLimit, EngagementGraphQL, GraphQLEndpoint, healthz, readiness
from api.schema import build_schema
from domain.answers import remember
from domain.db import tortoise_config
from domain.settings import Settings, load_settings
from workers.clock import run_clock
from workers.schedule import load_schedule

# The dashboard (built from web/): its own files only, nothing inline, no CDN.
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


class Dashboard(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-cache"
        return response


def create_app(settings: Settings | None = None, clock: bool = False) -> Starlette:
    """The whole API, configured from ``settings`` (default: the environment).

    With ``clock`` and no Redis, the process also does the worker's scheduled
    work: unfinished jobs resume and connected communities sync on time.
    """
    settings = settings or load_settings()
    in_process_clock = clock and not settings.redis_url
    remember(settings.remember_answers)
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
            if not in_process_clock:
                yield
                return
            ticking = asyncio.create_task(run_clock(load_schedule()))
            try:
                yield
            finally:
                ticking.cancel()

    routes = [
        Route("/graphql", GraphQLEndpoint(graphql, ide), methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readiness(settings), methods=["GET"]),
        *ingest.routes,
        Mount("/", Dashboard(directory=Path(__file__).parent / "static", html=True)),
    ]
    return Starlette(
        routes=routes, middleware=[Middleware(BodyLimit)], lifespan=lifespan
    )
