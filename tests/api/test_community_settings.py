"""The settings that shape ingestion: what groupId names, which events count."""

from __future__ import annotations

from domain.metrics import company_traffic
from domain.models import Member
from tests import factories as f
from tests.api.conftest import caller
from tests.api.test_ingest import post_batch
from workers.queue import drain

SETTINGS = """
mutation($input: UpdateCommunitySettingsInput!) {
  updateCommunitySettings(input: $input) {
    community { groupIdKind contributionEvents { event kind } }
    userErrors { field message code }
  }
}"""


async def test_group_by_domain_and_a_custom_event_reach_the_metrics(community):
    admin = await caller(community, "admin")
    integration = await caller(community, "integration")
    acme = await f.company(community, "Acme", domains=("acme.example",))
    events = [{"event": "Answer Marked", "kind": "SOLUTION"}]

    changed = await admin.ok(
        SETTINGS, input={"groupIdKind": "DOMAIN", "contributionEvents": events}
    )
    sent = await post_batch(
        integration.secret,
        [
            {
                "type": "group",
                "messageId": "g",
                "userId": "m1",
                "groupId": "acme.example",
            },
            {
                "type": "track",
                "messageId": "t",
                "userId": "m1",
                "event": "Answer Marked",
                "timestamp": "2024-03-05T10:00:00Z",
            },
            {
                "type": "track",
                "messageId": "d",
                "userId": "m1",
                "event": "Reply Posted",
                "timestamp": "2024-03-05T11:00:00Z",
            },
        ],
    )
    await drain()

    settings = changed["updateCommunitySettings"]
    assert settings["userErrors"] == []
    assert settings["community"]["groupIdKind"] == "DOMAIN"
    shown = {e["event"]: e["kind"] for e in settings["community"]["contributionEvents"]}
    assert shown["Answer Marked"] == "SOLUTION" and shown["Reply Posted"] == "REPLY"
    assert sent.status_code == 200 and sent.json()["errors"] == []
    member = await Member.get(community_id=community.id, external_id="m1")
    traffic = await company_traffic(community, f.day("2024-03-01"), f.day("2024-03-31"))
    assert member.company_id == acme.id
    assert (traffic[acme.id]["solutions"], traffic[acme.id]["replies"]) == (1, 1)


async def test_an_event_named_twice_is_refused_and_nothing_changes(community):
    admin = await caller(community, "admin")
    events = [
        {"event": "Answer Marked", "kind": "SOLUTION"},
        {"event": "Answer Marked", "kind": "IDEA"},
    ]

    answer = await admin.ok(
        SETTINGS, input={"groupIdKind": "DOMAIN", "contributionEvents": events}
    )

    assert answer["updateCommunitySettings"]["userErrors"] == [
        {
            "field": "contributionEvents[1].event",
            "message": "appears twice",
            "code": "INVALID",
        }
    ]
    await community.refresh_from_db()
    assert community.group_key == "crm_id" and community.event_kinds is None
