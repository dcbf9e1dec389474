"""GraphQL through the schema in-process, as a given API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from api.context import RequestContext
from api.schema import schema
from domain.apikeys import create_api_key
from domain.models import Community, Role
from tests import factories as f


@dataclass
class Caller:
    community: Community
    role: Role
    secret: str
    context: RequestContext

    async def execute(self, query: str, **variables: Any):
        return await schema.execute(query, variable_values=variables, context_value=self.context)

    async def ok(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed without any GraphQL error."""
        result = await self.execute(query, **variables)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data


async def caller(community: Community, role: Role = Role.VIEWER) -> Caller:
    issued = await create_api_key(community.id, role)
    return Caller(community, role, issued.secret, RequestContext(community, issued.record))


@pytest.fixture
async def community(db):
    return await f.community("America/New_York")


@pytest.fixture
async def viewer(community):
    return await caller(community, Role.VIEWER)


@pytest.fixture
async def integration(community):
    return await caller(community, Role.INTEGRATION)


@pytest.fixture
async def admin(community):
    return await caller(community, Role.ADMIN)
