"""A key of community A sees and changes nothing of community B."""

from __future__ import annotations

import logging

import pytest

from domain.apikeys import create_api_key
from domain.db import fetch
from domain.models import Member, Role
from tests import factories as f
from tests.api.conftest import caller
from workers.queue import enqueue

ANY_RANGE = {"from": "2024-01-01", "to": "2024-12-31"}


@pytest.fixture
async def other(db):
    """Community B, with a customer, a member, a view and a job."""
    community = await f.community()
    company = await f.company(community, "B's customer")
    await f.link(community, "shared-id", company)
    await f.views(community, "shared-id", f.utc("2024-02-05T15:00"))
    job = await enqueue(community.id, "enrich_members", {"community_id": community.id})
    return community, company, job


async def test_another_communitys_customer_is_like_no_customer(viewer, other):
    _, theirs, _ = other
    query = "query($id: ID!) { customer(id: $id) { name } }"

    mine = await viewer.ok(query, id=str(theirs.id))
    missing = await viewer.ok(query, id="987654321")

    assert mine == missing == {"customer": None}


async def test_lists_never_show_another_community(viewer, other):
    data = await viewer.ok(
        "query($from: Date!, $to: Date!) {"
        " customers(from: $from, to: $to) { totalCount edges { node { id } } }"
        " engagementSummary(from: $from, to: $to) { totalCustomers pageViews }"
        " jobs { edges { node { id } } } }",
        **ANY_RANGE,
    )

    assert data["customers"] == {"totalCount": 0, "edges": []}
    assert data["engagementSummary"] == {"totalCustomers": 0, "pageViews": 0}
    assert data["jobs"] == {"edges": []}


async def test_another_communitys_job_is_like_no_job(viewer, other):
    _, _, job = other

    data = await viewer.ok("query($id: ID!) { job(id: $id) { id } }", id=job.id)

    assert data == {"job": None}


async def test_linking_to_another_communitys_company_is_not_found(integration, other):
    community_b, theirs, _ = other
    mutation = (
        'mutation($id: ID!) { linkMember(input: {externalId: "shared-id", companyId: $id})'
        " { userErrors { field message code } } }"
    )

    theirs_answer = await integration.ok(mutation, id=str(theirs.id))
    missing_answer = await integration.ok(mutation, id="987654321")

    assert theirs_answer == missing_answer
    b_member = await Member.get(community_id=community_b.id, external_id="shared-id")
    assert b_member.company_id == theirs.id


async def test_member_ids_are_per_community(integration, community, other):
    community_b, theirs, _ = other
    mine = await f.company(community, "Mine")

    await integration.ok(
        'mutation($id: ID!) { linkMember(input: {externalId: "shared-id", companyId: $id})'
        " { userErrors { code } } }",
        id=str(mine.id),
    )

    b_member = await Member.get(community_id=community_b.id, external_id="shared-id")
    a_member = await Member.get(community_id=community.id, external_id="shared-id")
    assert b_member.company_id == theirs.id
    assert a_member.company_id == mine.id


async def test_a_key_in_plaintext_is_nowhere(community, caplog):
    with caplog.at_level(logging.DEBUG):
        issued = await create_api_key(community.id, Role.VIEWER)
        user = await caller(community)
        await user.ok("{ community { name } }")

    assert issued.secret not in caplog.text
    for table in ("api_key", "job", "community"):
        for row in await fetch(f"SELECT * FROM {table}"):
            assert issued.secret not in " ".join(map(str, row.values()))
