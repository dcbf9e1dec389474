"""The Salesforce mutations through the schema."""

from __future__ import annotations

import pytest

from api.context import RequestContext
from api.schema import schema
from demo.salesforce_fake import TOKEN
from domain.apikeys import create_api_key
from domain.models import Job as JobRow
from domain.models import JobStatus, Role
from workers.queue import drain

CONFIGURE = """
mutation($input: ConfigureSalesforceInput!) {
  configureSalesforce(input: $input) {
    connection { auth instanceUrl hasCaBundle secretsSet }
    userErrors { field message code }
  }
}"""
TEST = """
mutation { testSalesforceConnection {
  result { ok organizationId user apiUsage matchingAccounts problems
           fields { role name visible } }
  userErrors { field message }
} }"""
SYNC = """
mutation { syncSalesforce(full: true) {
  job { id kind status } userErrors { field message }
} }"""


async def execute(community, role: Role, query: str, **variables):
    issued = await create_api_key(community.id, role)
    context = RequestContext(community, issued.record)
    return await schema.execute(query, variable_values=variables, context_value=context)


def configuration(org, **extra) -> dict:
    return {
        "auth": "SESSION",
        "instanceUrl": org.url,
        "accessToken": TOKEN,
        "caBundle": org.ca_pem(),
        **extra,
    }


async def test_an_admin_configures_tests_and_syncs(community, org):
    org.add_account("Acme", "Customer")

    configured = await execute(
        community, Role.ADMIN, CONFIGURE, input=configuration(org)
    )
    tested = await execute(community, Role.ADMIN, TEST)
    started = await execute(community, Role.ADMIN, SYNC)
    await drain()

    assert (
        configured.errors is None and tested.errors is None and started.errors is None
    )
    payload = configured.data["configureSalesforce"]
    assert payload["userErrors"] == []
    assert payload["connection"]["secretsSet"] == ["access_token"]
    assert TOKEN not in str(configured.data)
    result = tested.data["testSalesforceConnection"]["result"]
    assert result["ok"] and result["matchingAccounts"] == 1
    assert result["organizationId"] and result["user"] == "sync@fake.example"
    assert result["apiUsage"].endswith("/100000")
    job = started.data["syncSalesforce"]["job"]
    assert job["kind"] == "sync_salesforce"
    assert (await JobRow.get(id=job["id"])).status is JobStatus.SUCCEEDED


async def test_bad_settings_come_back_as_user_errors(community, org):
    answer = await execute(
        community, Role.ADMIN, CONFIGURE, input=configuration(org, domain="evil.com")
    )

    assert answer.errors is None
    assert answer.data["configureSalesforce"]["userErrors"][0]["field"] == "domain"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.INTEGRATION])
async def test_only_admins_touch_the_salesforce_connection(community, org, role):
    answer = await execute(community, role, CONFIGURE, input=configuration(org))

    assert answer.errors and answer.errors[0].extensions["code"] == "FORBIDDEN"


async def test_a_sync_without_a_connection_is_a_user_error(community):
    answer = await execute(community, Role.ADMIN, SYNC)

    assert answer.errors is None
    assert answer.data["syncSalesforce"]["userErrors"][0]["field"] == "salesforce"
