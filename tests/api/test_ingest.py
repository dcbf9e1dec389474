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
import pytest
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


# -- events no column can hold are refused, the rest of the batch is kept -------

NUL, SURROGATE = "\x00", "\ud800"
NUL_REASON = "must not contain the NUL character (\\u0000)"
SURROGATE_REASON = "must not contain a lone UTF-16 surrogate"
BEFORE_1970 = (
    "is before 1970-01-01T00:00:00Z; accepted instants run from then to 24 hours ahead"
)


def identify(message_id: str, **traits) -> dict:
    return {
        "type": "identify",
        "messageId": message_id,
        "userId": "m1",
        "traits": traits,
    }


def _bad_text_cases(text: str, reason: str) -> list:
    name = "nul" if text == NUL else "surrogate"
    cases = {
        "path": (
            page("bad", properties={"path": f"/t/{text}"}),
            "properties.path",
        ),
        "title": (
            page("bad", properties={"path": "/t", "title": f"A {text}"}),
            "properties.title",
        ),
        "url": (
            page("bad", properties={"path": "/t", "url": f"https://x.example/{text}"}),
            "properties.url",
        ),
        "userId": (page("bad", user=f"m{text}"), "userId"),
        "anonymousId": (page("bad", user=None, anonymousId=f"a{text}"), "anonymousId"),
        "messageId": (page(f"bad{text}"), "messageId"),
        "traits": (identify("bad", plan=f"pro{text}"), "traits.plan"),
        "traits-key": (identify("bad", **{f"k{text}": 1}), "traits"),
    }
    return [
        pytest.param(message, field, reason, id=f"{name}-{case}")
        for case, (message, field) in cases.items()
    ]


BAD_EVENTS = [
    *_bad_text_cases(NUL, NUL_REASON),
    *_bad_text_cases(SURROGATE, SURROGATE_REASON),
    pytest.param(
        identify("bad", email=f"{'a' * 309}@acme.example"),  # 322 characters
        "traits.email",
        "must be at most 320 characters",
        id="email-over-320",
    ),
    pytest.param(
        identify("bad", score=float("nan")),
        "traits.score",
        "must be a finite number",
        id="traits-nan",
    ),
    pytest.param(
        page("bad", at="0001-01-01T00:00:00Z"), "timestamp", BEFORE_1970, id="year-1"
    ),
    pytest.param(
        page("bad", at="1969-12-31T23:59:59Z"), "timestamp", BEFORE_1970, id="1969"
    ),
    pytest.param(
        page("bad", at="0001-01-01T00:00:00Z", sentAt="9999-12-31T00:00:00Z"),
        "timestamp",
        "is out of range once corrected by sentAt; accepted instants run"
        " from 1970-01-01T00:00:00Z to 24 hours ahead",
        id="sent-at-overflow",
    ),
    pytest.param(
        {**page("bad"), "properties": ["/t"]},
        "properties",
        "must be a JSON object",
        id="properties-not-object",
    ),
    pytest.param(
        identify("bad") | {"traits": "pro"},
        "traits",
        "must be a JSON object",
        id="traits-not-object",
    ),
]


async def post_raw(secret: str, messages: list[dict]) -> httpx.Response:
    """Post as json.dumps writes it: a lone surrogate travels as its escape."""
    body = json.dumps({"batch": messages})
    async with _client() as client:
        return await client.post(
            "/v1/batch",
            content=body.encode(),
            headers={**_basic(secret), "Content-Type": "application/json"},
        )


@pytest.mark.parametrize(("bad", "field", "reason"), BAD_EVENTS)
async def test_an_event_no_column_can_hold_is_refused_alone(
    integration, bad, field, reason
):
    """The community is west of UTC, where year 1 has no local day."""
    batch = [page("good-1"), bad, page("good-2", user="m2")]

    response = await post_raw(integration.secret, batch)

    assert response.status_code == 200
    assert response.json()["errors"] == [
        {"index": 1, "field": field, "message": reason}
    ]
    assert response.json()["stored"]["pageViews"] == 2
    stored = await PageView.filter(community_id=integration.community.id)
    assert sorted(v.message_id for v in stored) == ["good-1", "good-2"]
    members = await Member.filter(community_id=integration.community.id)
    assert sorted((m.external_id, m.email, m.traits) for m in members) == [
        ("m1", None, {}),
        ("m2", None, {}),
    ]


async def test_the_earliest_instant_and_a_long_email_are_accepted(integration):
    email = f"{'a' * 307}@acme.example"  # 320 characters
    batch = [page("first", at="1970-01-01T00:00:00Z"), identify("i1", email=email)]

    response = await post_raw(integration.secret, batch)

    assert response.json()["errors"] == []
    assert (await PageView.get(message_id="first")).occurred_at == datetime(
        1970, 1, 1, tzinfo=UTC
    )
    assert (await Member.get(external_id="m1")).email == email


async def test_traits_are_stored_whole(integration):
    """Compact they fit the event limit; with spaces they would not, and a
    cut would have left invalid JSON."""
    tags = [1] * 14_000
    message = identify("i1", tags=tags)
    assert len(json.dumps(message, separators=(",", ":"))) < 32 * 1024
    assert len(json.dumps(message["traits"])) > 32 * 1024

    response = await post_raw(integration.secret, [message])

    assert response.json()["errors"] == []
    assert (await Member.get(external_id="m1")).traits == {"tags": tags}


async def test_a_numeric_message_id_is_stored_as_its_text(integration):
    response = await post_raw(integration.secret, [page(42)])  # type: ignore[arg-type]

    assert response.json()["errors"] == []
    assert await PageView.filter(message_id="42").count() == 1


async def test_a_member_grouped_twice_in_one_batch_ends_in_the_last_group(
    integration, community
):
    acme = await f.company(community, "Acme")
    beta = await f.company(community, "Beta")
    batch = [
        {"type": "group", "messageId": "g1", "userId": "m1", "groupId": acme.crm_id},
        {"type": "group", "messageId": "g2", "userId": " m1", "groupId": beta.crm_id},
    ]

    response = await post_raw(integration.secret, batch)

    assert response.status_code == 200
    assert response.json()["errors"] == []
    assert response.json()["stored"]["groups"] == 2
    member = await Member.get(community_id=community.id, external_id="m1")
    assert member.company_id == beta.id


async def test_message_ids_are_kept_apart_by_kind(integration):
    """Page views, contributions and every other message are three sets."""
    batch = [
        page("dd1"),
        {"type": "track", "messageId": "dd1", "userId": "m1", "event": "Reply Posted"},
        identify("dd1"),
        {"type": "screen", "messageId": "dd1", "userId": "m1"},
        {"type": "track", "messageId": "dd1", "userId": "m1", "event": "Searched"},
    ]

    response = await post_raw(integration.secret, batch)

    assert response.json()["stored"] == {
        "pageViews": 1,
        "contributions": 1,
        "identifies": 1,
        "groups": 0,
        "otherEvents": 0,
    }
    assert response.json()["duplicates"] == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/batch"), ("PUT", "/v1/page"), ("DELETE", "/v1/identify")],
)
async def test_another_method_than_post_is_405_in_the_json_shape(db, method, path):
    async with _client() as client:
        response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "error": {"code": "METHOD_NOT_ALLOWED", "message": "use POST"}
    }


RECORD_VIEWS = """
mutation($views: [PageViewInput!]!) {
  recordPageViews(input: {pageViews: $views}) {
    stored duplicates userErrors { field message code }
  }
}
"""
RECORD_CONTRIBUTIONS = """
mutation($items: [ContributionInput!]!) {
  recordContributions(input: {contributions: $items}) {
    stored duplicates userErrors { field message code }
  }
}
"""


async def test_graphql_refuses_a_nul_in_a_path_as_a_user_error(integration):
    view = {
        "messageId": "v1",
        "occurredAt": "2024-01-15T15:00:00Z",
        "path": "/t",
        "memberExternalId": "m1",
    }
    views = [view, {**view, "messageId": "v2", "path": "/t/\x00"}]

    data = await integration.ok(RECORD_VIEWS, views=views)

    assert data["recordPageViews"] == {
        "stored": 0,
        "duplicates": 0,
        "userErrors": [
            {"field": "pageViews[1].path", "message": NUL_REASON, "code": "INVALID"}
        ],
    }
    assert await PageView.all().count() == 0


async def test_graphql_refuses_a_contribution_before_1970(integration):
    item = {
        "messageId": "c1",
        "occurredAt": "0001-01-01T00:00:00Z",
        "memberExternalId": "m1",
        "kind": "REPLY",
    }

    data = await integration.ok(RECORD_CONTRIBUTIONS, items=[item])

    assert data["recordContributions"]["userErrors"] == [
        {
            "field": "contributions[0].occurredAt",
            "message": BEFORE_1970,
            "code": "INVALID",
        }
    ]
    assert await Contribution.all().count() == 0
