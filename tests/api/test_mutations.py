"""The integrations' and admins' mutations; bad input comes back as userErrors."""

from __future__ import annotations

from datetime import date

from domain.companies import save_company, set_customer_periods
from domain.metrics import customer_engagement
from domain.models import CrmSource, Member, PageView
from tests import factories as f
from workers.queue import drain

LINK = """
mutation($input: LinkMemberInput!) {
  linkMember(input: $input) {
    member { externalId company { name } }
    job { id kind status }
    userErrors { field message code }
  }
}
"""
RECORD_VIEWS = """
mutation($views: [PageViewInput!]!) {
  recordPageViews(input: {pageViews: $views}) {
    stored duplicates userErrors { field message code }
  }
}
"""


async def test_link_by_salesforce_id_in_15_characters_moves_history(
    integration, community
):
    acme = await save_company(
        community.id, CrmSource.SALESFORCE, "001M000000qfPyS", "Acme"
    )
    await set_customer_periods(acme, [(None, None)])
    await f.views(community, "m1", f.utc("2024-01-15T15:00"), f.utc("2024-01-16T15:00"))

    data = await integration.ok(
        LINK, input={"externalId": "m1", "crmId": "001M000000qfPyS"}
    )
    await drain()

    payload = data["linkMember"]
    assert payload["userErrors"] == []
    assert payload["member"] == {"externalId": "m1", "company": {"name": "Acme"}}
    assert payload["job"]["kind"] == "enrich_members"
    found = await customer_engagement(
        community, date(2024, 1, 1), date(2024, 1, 31), [acme.id]
    )
    assert found[acme.id].page_views == 2


async def test_link_by_domain(integration, community):
    await f.company(community, "Acme", domains=("acme.example",))

    data = await integration.ok(
        LINK, input={"externalId": "m1", "domain": "www.ACME.example"}
    )

    assert data["linkMember"]["member"]["company"] == {"name": "Acme"}


async def test_link_to_an_unknown_company_is_a_user_error(integration):
    data = await integration.ok(LINK, input={"externalId": "m1", "companyId": "999999"})

    assert data["linkMember"]["userErrors"] == [
        {"field": "companyId", "message": "no such company", "code": "NOT_FOUND"}
    ]
    assert data["linkMember"]["member"] is None
    assert await Member.filter(external_id="m1").count() == 0


async def test_naming_the_company_twice_is_a_user_error(integration, community):
    acme = await f.company(community, "Acme")

    data = await integration.ok(
        LINK,
        input={"externalId": "m1", "companyId": str(acme.id), "domain": "acme.example"},
    )

    assert data["linkMember"]["userErrors"][0]["field"] == "companyId"


async def test_one_bad_page_view_stores_none(integration):
    views = [
        {
            "messageId": "v1",
            "occurredAt": "2024-01-15T15:00:00+00:00",
            "path": "/a",
            "memberExternalId": "m1",
        },
        {
            "messageId": "v2",
            "occurredAt": "2024-01-15T15:00:00",
            "path": "/b",
            "memberExternalId": "m1",
        },
    ]

    data = await integration.ok(RECORD_VIEWS, views=views)

    assert data["recordPageViews"] == {
        "stored": 0,
        "duplicates": 0,
        "userErrors": [
            {
                "field": "pageViews[1].occurredAt",
                "message": "must carry a time zone offset",
                "code": "INVALID",
            }
        ],
    }
    assert await PageView.all().count() == 0


async def test_a_resent_page_view_is_a_duplicate(integration):
    views = [
        {
            "messageId": "v1",
            "occurredAt": "2024-01-15T15:00:00Z",
            "path": "/a",
            "anonymousId": "anon-1",
        }
    ]

    first = await integration.ok(RECORD_VIEWS, views=views)
    second = await integration.ok(RECORD_VIEWS, views=views)

    assert first["recordPageViews"]["stored"] == 1
    assert second["recordPageViews"] == {"stored": 0, "duplicates": 1, "userErrors": []}


async def test_a_viewer_may_not_record_and_nothing_is_written(viewer):
    views = [
        {
            "messageId": "v1",
            "occurredAt": "2024-01-15T15:00:00Z",
            "path": "/a",
            "anonymousId": "anon-1",
        }
    ]

    result = await viewer.execute(RECORD_VIEWS, views=views)

    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "FORBIDDEN"}
    assert await PageView.all().count() == 0


async def test_an_integration_may_not_create_keys(integration):
    result = await integration.execute(
        "mutation { createApiKey(input: {role: ADMIN}) { secret } }"
    )

    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "FORBIDDEN"}


async def test_an_unknown_time_zone_keeps_the_settings(admin, community):
    data = await admin.ok(
        'mutation { updateCommunitySettings(input: {timezone: "Mars/Base"}) {'
        " community { timezone } userErrors { field code } } }"
    )

    assert data["updateCommunitySettings"] == {
        "community": None,
        "userErrors": [{"field": "timezone", "code": "INVALID"}],
    }
    await community.refresh_from_db()
    assert community.timezone == "America/New_York"


async def test_link_members_is_all_or_nothing(integration, community):
    acme = await f.company(community, "Acme")
    links = [
        {"externalId": "m1", "companyId": str(acme.id)},
        {"externalId": "m2", "crmId": "no-such-id"},
    ]

    data = await integration.ok(
        "mutation($links: [LinkMemberInput!]!) { linkMembers(input: {links: $links}) {"
        " changed userErrors { field code } } }",
        links=links,
    )

    assert data["linkMembers"] == {
        "changed": 0,
        "userErrors": [{"field": "links[1].crmId", "code": "NOT_FOUND"}],
    }
    assert await Member.filter(community_id=community.id).count() == 0


async def test_import_companies_keeps_good_rows_and_names_bad_lines(admin, community):
    csv = (
        "crm_id,name,status,effective_at,domains\n"
        "A-1,Acme,customer,,acme.example\n"
        "A-1,Acme,churned,2024-03-01,acme.example\n"
        "B-2,Beta,customer,not-a-date,\n"
    )

    data = await admin.ok(
        "mutation($csv: String!) { importCompanies(input: {csv: $csv}) {"
        " rows companiesCreated statusChanges userErrors { field code } } }",
        csv=csv,
    )
    months = await admin.ok(
        '{ monthlyActivity(from: "2024-02", to: "2024-04") { totalCustomers } }'
    )

    assert data["importCompanies"] == {
        "rows": 3,
        "companiesCreated": 1,
        "statusChanges": 2,
        "userErrors": [{"field": "csv[4].effective_at", "code": "INVALID"}],
    }
    assert [m["totalCustomers"] for m in months["monthlyActivity"]] == [1, 0, 0]
