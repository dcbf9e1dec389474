"""Salesforce mutations: configure the connection, try it, start a sync.

Secrets go in and never come back out: payloads only say which are set.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from api.context import IsAdmin, context_of
from api.errors import UserError, user_error
from api.types import Job
from domain.errors import DomainError
from domain.models import SalesforceAuth
from domain.salesforce.check import ConnectionCheck, check_connection
from domain.salesforce.connection import (
    ConnectionSettings,
    ConnectionSummary,
    get_connection,
    save_connection,
)
from workers.queue import enqueue_sync

_INPUT = strawberry.argument(description="The connection and its mapping.")


@strawberry.enum(description="How the connection logs in to Salesforce.")
class SalesforceAuthMethod(Enum):
    PASSWORD = "password"
    JWT = "jwt"
    SESSION = "session"


@strawberry.input(
    description="A Salesforce connection; an omitted secret keeps the stored one."
)
class ConfigureSalesforceInput:
    auth: SalesforceAuthMethod = strawberry.field(description="How to log in.")
    domain: str = strawberry.field(
        default="login",
        description="login, test (a sandbox) or a My Domain like acme.my.",
    )
    instance_url: str | None = strawberry.field(
        default=None, description="The org's https URL; required with an access token."
    )
    username: str | None = strawberry.field(
        default=None, description="The sync user (password and JWT logins)."
    )
    consumer_key: str | None = strawberry.field(
        default=None, description="The connected app's consumer key (JWT login)."
    )
    password: str | None = strawberry.field(default=None, description="Password login.")
    security_token: str | None = strawberry.field(
        default=None, description="The user's security token (password login)."
    )
    private_key: str | None = strawberry.field(
        default=None, description="PEM private key of the connected app (JWT login)."
    )
    access_token: str | None = strawberry.field(
        default=None, description="A session id / access token (session login)."
    )
    ca_bundle: str | None = strawberry.field(
        default=None, description="PEM certificates to trust instead of the system's."
    )
    api_version: str = strawberry.field(
        default="59.0", description="The REST API version."
    )
    status_field: str = strawberry.field(
        default="Type", description="The Account field that holds the status."
    )
    customer_values: list[str] = strawberry.field(
        default_factory=lambda: ["Customer"], description="Values that mean customer."
    )
    customer_since_field: str | None = strawberry.field(
        default=None, description="A Date field: when the account became a customer."
    )
    churn_date_field: str | None = strawberry.field(
        default=None, description="A Date field: when the account churned."
    )
    domain_field: str | None = strawberry.field(
        default="Website", description="The field holding the company's web domain."
    )
    extra_filter: str | None = strawberry.field(
        default=None, description="A SOQL condition accounts must also meet."
    )
    link_by_email_domain: bool = strawberry.field(
        default=False,
        description="Also link members by e-mail domain (free-mail domains never).",
    )


@strawberry.type(description="A Salesforce connection, without its secrets.")
class SalesforceConnection:
    auth: SalesforceAuthMethod = strawberry.field(description="How it logs in.")
    domain: str = strawberry.field(description="login, test or a My Domain.")
    instance_url: str | None = strawberry.field(
        description="The org's URL, when given."
    )
    username: str | None = strawberry.field(description="The sync user, when given.")
    has_ca_bundle: bool = strawberry.field(
        description="Whether it has its own CA bundle."
    )
    secrets_set: list[str] = strawberry.field(description="Which secrets are stored.")

    @classmethod
    def of(cls, summary: ConnectionSummary) -> SalesforceConnection:
        return cls(
            auth=SalesforceAuthMethod(summary.auth.value),
            domain=summary.domain,
            instance_url=summary.instance_url,
            username=summary.username,
            has_ca_bundle=summary.has_ca_bundle,
            secrets_set=summary.secrets_set,
        )


@strawberry.type(description="The stored connection.")
class ConfigureSalesforcePayload:
    connection: SalesforceConnection | None = strawberry.field(description="As stored.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.type(description="A mapped field as the sync's user sees it.")
class SalesforceFieldCheck:
    role: str = strawberry.field(
        description="status, customerSince, churnDate or domain."
    )
    name: str = strawberry.field(description="The field's API name.")
    visible: bool = strawberry.field(
        description="False when missing or hidden by security."
    )
    type: str | None = strawberry.field(description="Its Salesforce type.")
    problem: str | None = strawberry.field(
        description="What is wrong with it, if anything."
    )


@strawberry.type(description="A customer value against the status picklist.")
class SalesforceValueCheck:
    value: str = strawberry.field(description="The configured value.")
    state: str = strawberry.field(
        description="active; inactive (still on records, still counted); or unknown."
    )


@strawberry.type(description="What trying the connection found.")
class SalesforceConnectionTest:
    ok: bool = strawberry.field(description="Whether a sync can run as configured.")
    organization_id: str | None = strawberry.field(description="The org's id.")
    organization_name: str | None = strawberry.field(description="The org's name.")
    user: str | None = strawberry.field(description="The user the connection acts as.")
    api_usage: str | None = strawberry.field(
        description="Daily API requests, used/limit."
    )
    matching_accounts: int | None = strawberry.field(
        description="Accounts whose status means customer, filter included."
    )
    fields: list[SalesforceFieldCheck] = strawberry.field(
        description="The mapped fields."
    )
    customer_values: list[SalesforceValueCheck] = strawberry.field(
        description="The customer values against the picklist."
    )
    problems: list[str] = strawberry.field(
        description="What stops a sync; empty when ok."
    )

    @classmethod
    def of(cls, check: ConnectionCheck) -> SalesforceConnectionTest:
        return cls(
            ok=check.ok,
            organization_id=check.organization_id,
            organization_name=check.organization_name,
            user=check.user,
            api_usage=check.api_usage,
            matching_accounts=check.matching_accounts,
            fields=[SalesforceFieldCheck(**vars(item)) for item in check.fields],
            customer_values=[
                SalesforceValueCheck(**vars(v)) for v in check.customer_values
            ],
            problems=check.problems,
        )


@strawberry.type(description="The result of trying the connection.")
class TestSalesforceConnectionPayload:
    result: SalesforceConnectionTest | None = strawberry.field(
        description="What was found."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.type(description="The sync job.")
class SyncSalesforcePayload:
    job: Job | None = strawberry.field(description="Poll it; a queued one is joined.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


def settings_of(input: ConfigureSalesforceInput) -> ConnectionSettings:
    """The domain's settings from the GraphQL input."""
    return ConnectionSettings(
        auth=SalesforceAuth(input.auth.value),
        domain=input.domain,
        instance_url=input.instance_url,
        username=input.username,
        consumer_key=input.consumer_key,
        password=input.password,
        security_token=input.security_token,
        private_key=input.private_key,
        access_token=input.access_token,
        ca_bundle=input.ca_bundle,
        api_version=input.api_version,
        status_field=input.status_field,
        customer_values=tuple(input.customer_values),
        customer_since_field=input.customer_since_field,
        churn_date_field=input.churn_date_field,
        domain_field=input.domain_field,
        extra_filter=input.extra_filter,
        link_by_email_domain=input.link_by_email_domain,
    )


@strawberry.type(description="Salesforce: the connection and its sync.")
class SalesforceMutation:
    @strawberry.mutation(
        description="Set the community's Salesforce connection and field mapping.",
        permission_classes=[IsAdmin],
    )
    async def configure_salesforce(
        self, info: strawberry.Info, input: Annotated[ConfigureSalesforceInput, _INPUT]
    ) -> ConfigureSalesforcePayload:
        community_id = context_of(info).community.id
        try:
            _, summary = await save_connection(community_id, settings_of(input))
        except DomainError as error:
            return ConfigureSalesforcePayload(
                connection=None, user_errors=[user_error(error)]
            )
        return ConfigureSalesforcePayload(
            connection=SalesforceConnection.of(summary), user_errors=[]
        )

    @strawberry.mutation(
        description="Log in as stored and check the mapping against the org.",
        permission_classes=[IsAdmin],
    )
    async def test_salesforce_connection(
        self, info: strawberry.Info
    ) -> TestSalesforceConnectionPayload:
        try:
            check = await check_connection(context_of(info).community.id)
        except DomainError as error:
            return TestSalesforceConnectionPayload(
                result=None, user_errors=[user_error(error)]
            )
        return TestSalesforceConnectionPayload(
            result=SalesforceConnectionTest.of(check), user_errors=[]
        )

    @strawberry.mutation(
        description="Start a Salesforce sync; full re-reads every account and contact.",
        permission_classes=[IsAdmin],
    )
    async def sync_salesforce(
        self,
        info: strawberry.Info,
        full: Annotated[
            bool, strawberry.argument(description="Read everything, not only changes.")
        ] = False,
    ) -> SyncSalesforcePayload:
        community_id = context_of(info).community.id
        try:
            await get_connection(community_id)
        except DomainError as error:
            return SyncSalesforcePayload(job=None, user_errors=[user_error(error)])
        job = await enqueue_sync(community_id, full)
        return SyncSalesforcePayload(job=Job.of(job), user_errors=[])
