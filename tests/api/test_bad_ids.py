"""Ids and cursors no row can have: like ids that do not exist, never a failure.

Each case holds a value that the database itself would refuse (past 64 bits, a
NUL character, a lone surrogate) beside a good one, so both databases are asked.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from api.context import RequestContext
from api.schema import build_schema
from domain.apikeys import create_api_key
from domain.jobs import create_job
from domain.models import ApiKey, Member, Role
from tests import factories as f

production = build_schema(production=True)

BAD_ROW_IDS = [
    "99999999999999999999",
    "9223372036854775808",  # 2**63, one past the largest BIGINT
    "-1",
    "0",
    "abc",
    "1e3",
    " 1",
    "\uff11",  # a fullwidth digit one, which int() would read as 1
    "1\x00",
    "\ud800",
]
BAD_TEXT_IDS = ["a\x00b", "\ud800", "x" * 40]


async def _run(caller, query: str, caplog, **variables: Any):
    """The production schema's answer, and the log records of ERROR or worse."""
    context = RequestContext(caller.community, caller.context.api_key)
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        result = await production.execute(
            query, variable_values=variables, context_value=context
        )
    return result, [r for r in caplog.records if r.levelno >= logging.ERROR]


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("bad", BAD_ROW_IDS)
async def test_a_customer_no_row_can_be_is_null_beside_a_real_one(
    viewer, community, caplog, bad
):
    acme = await f.company(community, "Acme")
    query = (
        "query($good: ID!, $bad: ID!) {"
        " a: customer(id: $good) { name } b: customer(id: $bad) { name } }"
    )

    result, logged = await _run(viewer, query, caplog, good=str(acme.id), bad=bad)

    assert result.errors is None
    assert result.data == {"a": {"name": "Acme"}, "b": None}
    assert logged == []


async def test_the_largest_id_is_looked_up_and_not_found(viewer, caplog):
    result, logged = await _run(
        viewer, '{ customer(id: "9223372036854775807") { name } }', caplog
    )

    assert (result.data, result.errors, logged) == ({"customer": None}, None, [])


@pytest.mark.parametrize("bad", BAD_TEXT_IDS)
async def test_a_job_or_member_no_row_can_be_is_null_beside_real_ones(
    viewer, community, caplog, bad
):
    job, _ = await create_job(community.id, "enrich_members", {})
    await f.link(community, "m1", await f.company(community, "Acme"))
    query = (
        "query($good: ID!, $bad: ID!, $badMember: String!) {"
        " a: job(id: $good) { id } b: job(id: $bad) { id }"
        ' c: member(externalId: "m1") { externalId }'
        " d: member(externalId: $badMember) { externalId } }"
    )

    result, logged = await _run(
        viewer, query, caplog, good=job.id, bad=bad, badMember=bad
    )

    assert result.errors is None
    assert result.data == {
        "a": {"id": job.id},
        "b": None,
        "c": {"externalId": "m1"},
        "d": None,
    }
    assert logged == []


LINK = """
mutation($id: ID!) {
  linkMember(input: {externalId: "m1", companyId: $id}) {
    member { externalId } userErrors { field message code }
  }
}
"""


@pytest.mark.parametrize("bad", BAD_ROW_IDS)
async def test_linking_to_a_company_no_row_can_be_is_not_found(
    integration, community, caplog, bad
):
    missing, _ = await _run(integration, LINK, caplog, id="987654321")

    result, logged = await _run(integration, LINK, caplog, id=bad)

    assert result.errors is None
    assert result.data == missing.data
    assert result.data["linkMember"]["userErrors"] == [
        {"field": "companyId", "message": "no such company", "code": "NOT_FOUND"}
    ]
    assert await Member.filter(community_id=community.id).count() == 0
    assert logged == []


async def test_one_bad_company_id_in_link_members_is_not_found(
    integration, community, caplog
):
    acme = await f.company(community, "Acme")
    links = [
        {"externalId": "m1", "companyId": str(acme.id)},
        {"externalId": "m2", "companyId": "99999999999999999999"},
    ]

    result, logged = await _run(
        integration,
        "mutation($links: [LinkMemberInput!]!) { linkMembers(input: {links: $links})"
        " { changed userErrors { field code } } }",
        caplog,
        links=links,
    )

    assert result.data == {
        "linkMembers": {
            "changed": 0,
            "userErrors": [{"field": "links[1].companyId", "code": "NOT_FOUND"}],
        }
    }
    assert await Member.filter(community_id=community.id).count() == 0
    assert logged == []


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
async def test_an_external_id_no_database_holds_is_refused(
    integration, community, caplog, bad
):
    acme = await f.company(community, "Acme")
    query = (
        "mutation($bad: String!, $id: ID!) {"
        " link: linkMember(input: {externalId: $bad, companyId: $id})"
        " { userErrors { field code } }"
        " unlink: unlinkMember(input: {externalId: $bad}) { userErrors { field code } }"
        " }"
    )

    result, logged = await _run(integration, query, caplog, bad=bad, id=str(acme.id))

    assert result.data == {
        "link": {"userErrors": [{"field": "externalId", "code": "INVALID"}]},
        "unlink": {"userErrors": [{"field": "externalId", "code": "NOT_FOUND"}]},
    }
    assert await Member.filter(community_id=community.id).count() == 0
    assert logged == []


REVOKE = """
mutation($id: ID!) {
  revokeApiKey(input: {id: $id}) { apiKey { id } userErrors { field message code } }
}
"""


@pytest.mark.parametrize("bad", BAD_ROW_IDS)
async def test_revoking_a_key_no_row_can_be_is_not_found(admin, community, caplog, bad):
    viewer_key = await create_api_key(community.id, Role.VIEWER)

    result, logged = await _run(admin, REVOKE, caplog, id=bad)

    assert result.data == {
        "revokeApiKey": {
            "apiKey": None,
            "userErrors": [
                {"field": "id", "message": "no such API key", "code": "NOT_FOUND"}
            ],
        }
    }
    assert await ApiKey.filter(revoked_at=None).count() == 2
    assert viewer_key.record.revoked_at is None
    assert logged == []


def _after_error(result) -> list[tuple[str, str | None]]:
    return [(e.message, e.extensions.get("code")) for e in result.errors]


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("id:abc"),
        _cursor("id:99999999999999999999"),
        _cursor("id:0123456789abcdef0123456789abcdef"),  # a job's cursor
        _cursor('["name","acme",1]'),  # a customer list's cursor
        "not base64 at all!",
    ],
    ids=["letters", "past 64 bits", "a job cursor", "a customer cursor", "garbage"],
)
async def test_a_members_cursor_of_another_list_names_after(
    viewer, community, caplog, cursor
):
    acme = await f.company(community, "Acme")
    query = (
        "query($id: ID!, $after: String) { community { name }"
        " customer(id: $id) { members(after: $after) { totalCount } } }"
    )

    result, logged = await _run(viewer, query, caplog, id=str(acme.id), after=cursor)

    assert _after_error(result) == [
        ("after: is not a cursor of this list", "BAD_USER_INPUT")
    ]
    assert result.data == {"community": {"name": community.name}, "customer": None}
    assert logged == []


@pytest.mark.parametrize(
    "cursor",
    [_cursor("id:a\x00b"), _cursor("id:\U0001f600"), _cursor("id:" + "f" * 40)],
    ids=["nul", "not ascii", "too long"],
)
async def test_a_jobs_cursor_no_job_can_have_names_after(viewer, caplog, cursor):
    result, logged = await _run(
        viewer,
        "query($after: String) { jobs(after: $after) { edges { cursor } } }",
        caplog,
        after=cursor,
    )

    assert _after_error(result) == [
        ("after: is not a cursor of this list", "BAD_USER_INPUT")
    ]
    assert logged == []


async def test_a_deeply_nested_customers_cursor_names_after(viewer, caplog):
    cursor = _cursor("[" * 100_000)

    result, logged = await _run(
        viewer,
        "query($after: String) {"
        ' customers(from: "2024-01-01", to: "2024-01-31", after: $after)'
        " { totalCount } }",
        caplog,
        after=cursor,
    )

    assert _after_error(result) == [
        ("after: is not a cursor of this list", "BAD_USER_INPUT")
    ]
    assert logged == []
