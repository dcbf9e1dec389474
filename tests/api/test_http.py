"""The API over HTTP: keys, roles, limits, health, and a real uvicorn."""

from __future__ import annotations

import json

import httpx
import pytest

from api.app import create_app
from domain.apikeys import create_api_key
from domain.models import Role
from domain.settings import Settings
from tests import factories as f
from tests.api.conftest import caller

SUMMARY = (
    '{ engagementSummary(from: "2024-01-01", to: "2024-01-31") { totalCustomers } }'
)


def _client(production: bool = False) -> httpx.AsyncClient:
    settings = Settings(
        database_url="unused: the session's database is already open",
        redis_url=None,
        environment="production" if production else "development",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def _post(
    secret: str | None, query: str, production: bool = False
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    async with _client(production) as client:
        return await client.post("/graphql", json={"query": query}, headers=headers)


async def test_a_request_without_a_key_is_401(db):
    response = await _post(None, SUMMARY)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_a_wrong_key_is_401(db):
    response = await _post("ce_not-a-key", SUMMARY)

    assert response.status_code == 401


async def test_a_revoked_key_is_401(admin, community):
    await create_api_key(community.id, Role.ADMIN, "the admin key that stays")
    revoked = await admin.ok(
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { userErrors { code } } }",
        id=str(admin.context.api_key.id),
    )

    response = await _post(admin.secret, SUMMARY)

    assert revoked == {"revokeApiKey": {"userErrors": []}}
    assert response.status_code == 401


async def test_a_viewer_key_reads(viewer):
    response = await _post(viewer.secret, SUMMARY)

    assert response.status_code == 200
    assert response.json() == {"data": {"engagementSummary": {"totalCustomers": 0}}}


async def test_graphiql_opens_in_development_without_a_key(db):
    async with _client() as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_off_in_production(db):
    async with _client(production=True) as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 405
    assert response.json() == {
        "error": {"code": "METHOD_NOT_ALLOWED", "message": "use POST"}
    }


async def test_graphiql_queries_still_need_a_key(db):
    async with _client() as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        query = await client.post("/graphql", json={"query": SUMMARY})

    assert page.status_code == 200
    assert query.status_code == 401


async def test_get_queries_are_off_in_development_too(viewer):
    async with _client() as client:
        response = await client.get(
            "/graphql",
            params={"query": SUMMARY},
            headers={"Authorization": f"Bearer {viewer.secret}"},
        )

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("production", [False, True])
async def test_a_body_that_is_not_json_is_a_json_400(viewer, production):
    async with _client(production) as client:
        response = await client.post(
            "/graphql",
            content=b"{ community { name } }",
            headers={
                "Authorization": f"Bearer {viewer.secret}",
                "Content-Type": "application/json",
            },
        )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "BAD_REQUEST",
            "message": "Unable to parse request body as JSON",
        }
    }


@pytest.mark.parametrize(
    "body",
    [b'"a string"', b"[1]", b"\xff\xfe\x00", b"[" * 100_000],
    ids=["a string", "a list", "not utf-8", "deeply nested"],
)
async def test_any_body_but_a_json_object_is_a_json_400(viewer, body):
    async with _client() as client:
        response = await client.post(
            "/graphql",
            content=body,
            headers={
                "Authorization": f"Bearer {viewer.secret}",
                "Content-Type": "application/json",
            },
        )

    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_a_body_without_a_query_is_a_json_400(viewer):
    async with _client() as client:
        response = await client.post(
            "/graphql",
            json={"variables": {}},
            headers={"Authorization": f"Bearer {viewer.secret}"},
        )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_get_queries_are_off(viewer):
    async with _client(production=True) as client:
        response = await client.get(
            "/graphql",
            params={"query": SUMMARY},
            headers={"Authorization": f"Bearer {viewer.secret}"},
        )

    assert response.status_code == 405


async def test_a_five_megabyte_body_is_413(viewer):
    query = "{ community { name } }" + " " * 5_000_000

    response = await _post(viewer.secret, query)

    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]


async def test_deep_nesting_is_refused(viewer):
    inner = "name"
    for _ in range(30):
        inner = f"company {{ {inner} }}"
    query = f'{{ member(externalId: "x") {{ {inner} }} }}'

    response = await _post(viewer.secret, query)

    errors = response.json()["errors"]
    assert "exceeds maximum operation depth" in errors[0]["message"]


async def test_three_hundred_aliases_are_refused(viewer):
    aliases = " ".join(f"a{i}: community {{ name }}" for i in range(300))

    response = await _post(viewer.secret, f"{{ {aliases} }}")

    errors = response.json()["errors"]
    assert "aliases" in errors[0]["message"]


async def test_healthz_and_readyz(db):
    async with _client() as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True}


async def test_readyz_is_503_when_redis_is_unreachable(db):
    settings = Settings(
        database_url="open", redis_url="redis://127.0.0.1:1", environment="dev"
    )
    transport = httpx.ASGITransport(app=create_app(settings))

    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1"
    ) as client:
        ready = await client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "redis": False}


async def test_real_uvicorn_serves_the_first_screen(server, community):
    base, log_path = server
    viewer = await caller(community)
    acme = await f.company(community, "Acme")
    await f.link(community, "a1", acme)
    await f.views(community, "a1", f.utc("2024-01-15T15:00"))
    query = (
        '{ monthlyActivity(from: "2024-01", to: "2024-02") { month activeCustomers } }'
    )

    async with httpx.AsyncClient(base_url=base) as client:
        responses = [
            await client.post(
                "/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {viewer.secret}"},
            )
            for _ in range(3)
        ]

    for response in responses:
        assert response.status_code == 200
        assert json.loads(response.text) == {
            "data": {
                "monthlyActivity": [
                    {"month": "2024-01", "activeCustomers": 1},
                    {"month": "2024-02", "activeCustomers": 0},
                ]
            }
        }
    assert viewer.secret not in log_path.read_text()
