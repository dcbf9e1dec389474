"""The ASGI application: routes, limits, and the database for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from api import ingest
from api.http import BodyLimit, EngagementGraphQL, GraphQLEndpoint, healthz, readiness
from api.schema import build_schema
from domain.db import tortoise_config
from domain.settings import Settings, load_settings


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
    ]
    return Starlette(routes=routes, middleware=[Middleware(BodyLimit)], lifespan=lifespan)
