"""The Segment-compatible ingestion endpoints."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import socket
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from segment.analytics import Client

from api.app import create_app
from domain.metrics import customer_engagement, monthly_activity
from domain.models import Contribution, Member, PageView
from domain.settings import Settings
from tests import factories as f
from tests.api.conftest import caller
from workers.queue import drain


def _client() -> httpx.AsyncClient:
    settings = Settings(database_url="open", redis_url=None, environment="development")
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


def _basic(secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{secret}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def page(
    message_id: str, user: str | None = "m1", at: str = "2024-01-15T15:00:00Z", **extra
) -> dict:
    message = {
        "type": "page",
        "messageId": message_id,
        "timestamp": at,
        "properties": {"path": "/t/topic", "title": "A topic"},
        **extra,
    }
    if user:
        message["userId"] = user
    return message


async def post_batch(secret: str, messages: list[dict], **body) -> httpx.Response:
    async with _client() as client:
        return await client.post(
            "/v1/batch", json={"batch": messages, **body}, headers=_basic(secret)
        )


async def test_the_official_client_records_everything(server, community):
    base, _ = server
    integration = await caller(community, "integration")
    acme = await f.company(community, "Acme", domains=("acme.example",))
    crm_id = acme.crm_id
    analytics = Client(
        integration.secret,
        host=base,
        gzip=True,
        upload_size=50,
        max_retries=1,
        send=True,
    )

    def send() -> None:
        analytics.identify("m1", {"email": "ada@acme.example", "plan": "pro"})
        analytics.group("m1", crm_id)
        analytics.page(
            "m1",
            name="Welcome",
            properties={"path": "/welcome"},
            timestamp=datetime(2024, 1, 15, 15, tzinfo=UTC),
        )
        analytics.track(
            "m1", "Reply Posted", timestamp=datetime(2024, 1, 16, 15, tzinfo=UTC)
        )
        analytics.track("m1", "Search Performed")
        analytics.flush()
        analytics.shutdown()

    await asyncio.to_thread(send)
    await drain()

    member = await Member.get(community_id=community.id, external_id="m1")
    assert member.email == "ada@acme.example"
    assert member.company_id == acme.id
    assert await PageView.filter(community_id=community.id).count() == 1
    assert (
        await Contribution.filter(community_id=community.id, kind="reply").count() == 1
    )
    found = await customer_engagement(
        community, date(2024, 1, 1), date(2024, 1, 31), [acme.id]
    )
    assert (found[acme.id].page_views, found[acme.id].contributions["replies"]) == (
        1,
        1,
    )


async def test_a_resent_batch_adds_nothing(integration):
    batch = [page("v1"), page("v2"), page("v1")]

    first = await post_batch(integration.secret, batch)
    second = await post_batch(integration.secret, batch)

    assert first.json()["stored"]["pageViews"] == 2
    assert first.json()["duplicates"] == 1
    assert second.json()["stored"]["pageViews"] == 0
    assert second.json()["duplicates"] == 3
    assert await PageView.all().count() == 2


async def test_one_message_id_in_two_communities_is_two_views(integration, db):
    other = await caller(await f.community(), "integration")

    await post_batch(integration.secret, [page("same-id")])
    await post_batch(other.secret, [page("same-id")])

    assert await PageView.filter(community_id=integration.community.id).count() == 1
    assert await PageView.filter(community_id=other.community.id).count() == 1


async def test_a_mixed_batch_keeps_the_good_and_names_the_bad(integration):
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    batch = [
        page("good-1"),
        page("no-member", user=None),
        page("future", at=future),
        {"type": "page", "timestamp": "2024-01-15T15:00:00Z"},
        {"type": "shout", "messageId": "x"},
        page("good-2", anonymousId="anon-7", user=None),
    ]

    response = await post_batch(integration.secret, batch)

    assert response.status_code == 200
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "userId",
            "message": "either userId or anonymousId is needed",
        },
        {
            "index": 2,
            "field": "timestamp",
            "message": "is more than 24 hours in the future",
        },
        {"index": 3, "field": "messageId", "message": "is required"},
        {
            "index": 4,
            "field": "type",
            "message": "must be page, track, identify or group",
        },
    ]
    assert await PageView.all().count() == 2


async def test_the_sender_clock_is_corrected_by_sent_at(integration):
    sent = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    at = (datetime.now(UTC) + timedelta(hours=3) - timedelta(minutes=10)).isoformat()

    await post_batch(integration.secret, [page("v1", at=at)], sentAt=sent)

    stored = await PageView.get(message_id="v1")
    assert abs(
        stored.occurred_at - (datetime.now(UTC) - timedelta(minutes=10))
    ) < timedelta(seconds=30)


async def test_a_backfilled_view_lands_in_its_month(integration, community):
    acme = await f.company(community, "Acme")
    await f.link(community, "m1", acme)

    await post_batch(integration.secret, [page("old", at="2019-03-31T23:30:00-04:00")])

    months = await monthly_activity(community, date(2019, 3, 1), date(2019, 4, 1))
    assert [m.active for m in months] == [1, 0]


async def test_oversize_bodies_are_413_and_store_nothing(integration):
    big = [page(f"v{i}", title="x" * 1000) for i in range(600)]
    plain = json.dumps({"batch": big}).encode()
    squeezed = gzip.compress(plain)

    async with _client() as client:
        as_plain = await client.post(
            "/v1/batch", content=plain, headers=_basic(integration.secret)
        )
        as_gzip = await client.post(
            "/v1/batch",
            content=squeezed,
            headers={**_basic(integration.secret), "Content-Encoding": "gzip"},
        )

    assert len(squeezed) < 500 * 1024 < len(plain)
    assert as_plain.status_code == as_gzip.status_code == 413
    assert "at most" in as_gzip.json()["error"]["message"]
    assert await PageView.all().count() == 0


async def test_an_event_over_32_kilobytes_is_refused(integration):
    response = await post_batch(integration.secret, [page("huge", title="x" * 40_000)])

    assert response.json()["errors"][0]["field"] == "message"
    assert await PageView.all().count() == 0


async def test_a_viewer_key_is_403_and_no_key_is_401(viewer):
    refused = await post_batch(viewer.secret, [page("v1")])
    async with _client() as client:
        anonymous = await client.post("/v1/batch", json={"batch": [page("v2")]})

    assert refused.status_code == 403
    assert anonymous.status_code == 401
    assert await PageView.all().count() == 0


async def test_the_key_decides_the_community(integration, db):
    other = await caller(await f.community(), "integration")

    await post_batch(other.secret, [page("v1")])

    assert await PageView.filter(community_id=integration.community.id).count() == 0
    assert await PageView.filter(community_id=other.community.id).count() == 1


async def test_single_calls_and_bearer_keys(integration):
    async with _client() as client:
        response = await client.post(
            "/v1/page",
            json={"messageId": "v1", "userId": "m1", "properties": {"path": "/"}},
            headers={"Authorization": f"Bearer {integration.secret}"},
        )

    assert response.json()["stored"]["pageViews"] == 1


def _send_and_hang_up(base: str, secret: str, body: bytes) -> None:
    """Send a whole request and close the socket before any response."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port)) as raw:
        head = (
            f"POST /v1/batch HTTP/1.1\r\nHost: {address.hostname}\r\n"
            f"Authorization: {_basic(secret)['Authorization']}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        raw.sendall(head.encode() + body)


async def test_a_batch_cut_off_before_its_answer_is_resent_safely(server, community):
    base, _ = server
    integration = await caller(community, "integration")
    batch = [page(f"v{i}", user=f"m{i % 7}") for i in range(200)]
    body = json.dumps({"batch": batch}).encode()

    await asyncio.to_thread(_send_and_hang_up, base, integration.secret, body)
    async with httpx.AsyncClient(base_url=base) as client:
        resent = await client.post(
            "/v1/batch", content=body, headers=_basic(integration.secret)
        )

    assert resent.status_code == 200
    assert await PageView.filter(community_id=community.id).count() == 200
    assert resent.json()["stored"]["pageViews"] + resent.json()["duplicates"] == 200
