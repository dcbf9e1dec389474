"""The write side of the schema. Bad input comes back as ``userErrors``."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from api.context import CanIntegrate, IsAdmin, context_of
from api.errors import UserError, UserErrorCode, user_error
from api.ids import row_id
from api.queries import (
    ApiKey,
    Community,
    ContributionKind,
    GroupIdKind,
    community_of,
)
from api.types import Job, Member
from domain import activity
from domain.apikeys import create_api_key, revoke_api_key
from domain.communities import update_community_settings
from domain.companies import find_company_by_crm_id, find_company_by_domain, get_company
from domain.csv_import import import_companies_csv
from domain.errors import DomainError, NotFound
from domain.members import LinkChange, link_members, unlink_member
from domain.models import ContributionKind as Kind
from domain.models import GroupKey
from domain.models import Job as JobRow
from domain.models import Role as RoleValue
from domain.text import is_storable
from workers.queue import enqueue_enrichment

MAX_BATCH = 1000
_INPUT = strawberry.argument(description="What to change.")


@strawberry.input(
    description="Link one member to one company, named in exactly one way."
)
class LinkMemberInput:
    external_id: str = strawberry.field(description="The community platform's user id.")
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="This service's company id."
    )
    crm_id: str | None = strawberry.field(
        default=None, description="The CRM id; Salesforce ids in 15 or 18 characters."
    )
    domain: str | None = strawberry.field(
        default=None, description="A web domain of the company."
    )


@strawberry.type(description="The member after the link, and the enrichment job.")
class LinkMemberPayload:
    member: Member | None = strawberry.field(description="The member, linked.")
    job: Job | None = strawberry.field(
        description="Re-attributes the member's history; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.input(description="Detach a member from its company.")
class UnlinkMemberInput:
    external_id: str = strawberry.field(description="The community platform's user id.")


@strawberry.input(description="Up to 1,000 links, applied all together or not at all.")
class LinkMembersInput:
    links: list[LinkMemberInput] = strawberry.field(description="The links to apply.")


@strawberry.type(description="How many links changed, and the enrichment job.")
class LinkMembersPayload:
    changed: int = strawberry.field(description="Members whose company changed.")
    job: Job | None = strawberry.field(description="Re-attributes their history.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.input(description="One page view.")
class PageViewInput:
    message_id: str = strawberry.field(
        description="Unique per community; a resend is ignored."
    )
    occurred_at: datetime = strawberry.field(description="When, with a UTC offset.")
    path: str = strawberry.field(description="The page's path.")
    member_external_id: str | None = strawberry.field(
        default=None, description="The viewing member; a new id creates the member."
    )
    anonymous_id: str | None = strawberry.field(
        default=None, description="Set instead of a member for an anonymous view."
    )
    title: str | None = strawberry.field(default=None, description="The page's title.")
    url: str | None = strawberry.field(default=None, description="The page's full URL.")


@strawberry.input(description="Up to 1,000 page views, stored together or not at all.")
class RecordPageViewsInput:
    page_views: list[PageViewInput] = strawberry.field(description="The page views.")


@strawberry.type(description="What a recording stored.")
class RecordActivityPayload:
    stored: int = strawberry.field(description="New rows stored.")
    duplicates: int = strawberry.field(description="Rows skipped as already stored.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.input(description="One contribution.")
class ContributionInput:
    message_id: str = strawberry.field(
        description="Unique per community; a resend is ignored."
    )
    occurred_at: datetime = strawberry.field(description="When, with a UTC offset.")
    member_external_id: str = strawberry.field(description="The contributing member.")
    kind: ContributionKind = strawberry.field(description="What was contributed.")


@strawberry.input(
    description="Up to 1,000 contributions, stored together or not at all."
)
class RecordContributionsInput:
    contributions: list[ContributionInput] = strawberry.field(
        description="The contributions."
    )


@strawberry.input(description="New community settings; omitted ones stay.")
class UpdateCommunitySettingsInput:
    timezone: str | None = strawberry.field(
        default=None, description="An IANA time zone."
    )
    lurker_threshold: int | None = strawberry.field(
        default=None,
        description="Page views above which a silent customer is a lurker.",
    )
    group_id_kind: GroupIdKind | None = strawberry.field(
        default=None,
        description="What the groupId of an ingested group call names.",
    )
    contribution_events: list[ContributionEventInput] | None = strawberry.field(
        default=None,
        description="The community's own track events that are contributions,"
        " replacing the ones set before; the defaults cover every other name.",
    )


@strawberry.input(description="A track event name and the contribution it records.")
class ContributionEventInput:
    event: str = strawberry.field(description="The event name, as sent.")
    kind: ContributionKind = strawberry.field(description="The contribution.")


@strawberry.type(description="The community after the change.")
class UpdateCommunitySettingsPayload:
    community: Community | None = strawberry.field(description="The community.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.input(description="Companies and their status history as CSV text.")
class ImportCompaniesInput:
    csv: str = strawberry.field(
        description="Header crm_id,name,status,effective_at,domains; one row per change."
    )


@strawberry.type(description="What an import did; bad rows are userErrors.")
class ImportCompaniesPayload:
    rows: int = strawberry.field(description="Data rows read.")
    companies_created: int = strawberry.field(description="New companies.")
    companies_updated: int = strawberry.field(
        description="Companies whose data changed."
    )
    status_changes: int = strawberry.field(description="Status changes stored.")
    user_errors: list[UserError] = strawberry.field(
        description="One per bad row, as csv[LINE].COLUMN; the good rows were kept."
    )


@strawberry.enum(description="What a key may do.")
class Role(Enum):
    VIEWER = "viewer"
    INTEGRATION = "integration"
    ADMIN = "admin"


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    role: Role = strawberry.field(description="What the key may do.")
    name: str = strawberry.field(
        default="", description="A label to recognise the key by."
    )


@strawberry.type(description="The new key; its secret is shown here once.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(
        description="The key, without its secret."
    )
    secret: str | None = strawberry.field(description="The key itself. Store it now.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


@strawberry.input(description="The key to revoke.")
class RevokeApiKeyInput:
    id: strawberry.ID = strawberry.field(description="The key's id.")


@strawberry.type(description="The key after revocation.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The revoked key.")
    user_errors: list[UserError] = strawberry.field(
        description="Refused inputs; empty on success."
    )


async def _link(
    community_id: int, link: LinkMemberInput, prefix: str
) -> tuple[str, int]:
    """The member's external id and the company id a link names."""
    if not is_storable(link.external_id):
        raise DomainError(f"{prefix}externalId", "must not contain NUL characters")
    return link.external_id, await _target(community_id, link, prefix)


async def _target(community_id: int, link: LinkMemberInput, prefix: str) -> int:
    """The company id a link names, in exactly one way."""
    named = [v for v in (link.company_id, link.crm_id, link.domain) if v is not None]
    if len(named) != 1:
        raise DomainError(
            f"{prefix}companyId",
            "name the company by exactly one of companyId, crmId or domain",
        )
    if link.company_id is not None:
        # An id no row can have is not found, like one that was never issued.
        company_id = row_id(link.company_id)
        if company_id is None:
            raise NotFound(f"{prefix}companyId", "company")
        return (await get_company(community_id, company_id, f"{prefix}companyId")).id
    if link.crm_id is not None:
        return (
            await find_company_by_crm_id(community_id, link.crm_id, f"{prefix}crmId")
        ).id
    return (
        await find_company_by_domain(community_id, link.domain or "", f"{prefix}domain")
    ).id


async def _enrich(community_id: int, changes: list[LinkChange]) -> JobRow | None:
    """Queue the re-attribution of members whose history no longer matches their link."""
    return await enqueue_enrichment(
        community_id, [c.member.id for c in changes if c.needs_attribution]
    )


@strawberry.type(description="Members, activity, companies, settings and keys.")
class CoreMutation:
    @strawberry.mutation(
        description="Link a member to a company; all the member's history follows.",
        permission_classes=[CanIntegrate],
    )
    async def link_member(
        self, info: strawberry.Info, input: Annotated[LinkMemberInput, _INPUT]
    ) -> LinkMemberPayload:
        community_id = context_of(info).community.id
        try:
            [change] = await link_members(
                community_id, [await _link(community_id, input, "")]
            )
        except DomainError as error:
            return LinkMemberPayload(
                member=None, job=None, user_errors=[user_error(error)]
            )
        job = await _enrich(community_id, [change])
        return LinkMemberPayload(
            member=Member.of(change.member),
            job=Job.of(job) if job else None,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Detach a member from its company; its history leaves with it.",
        permission_classes=[CanIntegrate],
    )
    async def unlink_member(
        self, info: strawberry.Info, input: Annotated[UnlinkMemberInput, _INPUT]
    ) -> LinkMemberPayload:
        community_id = context_of(info).community.id
        try:
            if not is_storable(input.external_id):
                raise NotFound("externalId", "member")
            change = await unlink_member(community_id, input.external_id)
        except DomainError as error:
            return LinkMemberPayload(
                member=None, job=None, user_errors=[user_error(error)]
            )
        job = await _enrich(community_id, [change])
        return LinkMemberPayload(
            member=Member.of(change.member),
            job=Job.of(job) if job else None,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Apply up to 1,000 links at once.",
        permission_classes=[CanIntegrate],
    )
    async def link_members(
        self, info: strawberry.Info, input: Annotated[LinkMembersInput, _INPUT]
    ) -> LinkMembersPayload:
        community_id = context_of(info).community.id
        if not 1 <= len(input.links) <= MAX_BATCH:
            error = DomainError("links", f"send between 1 and {MAX_BATCH} links")
            return LinkMembersPayload(
                changed=0, job=None, user_errors=[user_error(error)]
            )
        errors, pairs = [], []
        for index, link in enumerate(input.links):
            try:
                pairs.append(await _link(community_id, link, f"links[{index}]."))
            except DomainError as error:
                errors.append(user_error(error))
        if not errors:
            try:
                changes = await link_members(community_id, pairs)
            except DomainError as error:
                errors.append(user_error(error))
        if errors:
            return LinkMembersPayload(changed=0, job=None, user_errors=errors)
        job = await _enrich(community_id, changes)
        return LinkMembersPayload(
            changed=sum(c.changed for c in changes),
            job=Job.of(job) if job else None,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Record up to 1,000 page views; for volume use the ingestion endpoint.",
        permission_classes=[CanIntegrate],
    )
    async def record_page_views(
        self, info: strawberry.Info, input: Annotated[RecordPageViewsInput, _INPUT]
    ) -> RecordActivityPayload:
        if not 1 <= len(input.page_views) <= MAX_BATCH:
            error = DomainError(
                "pageViews", f"send between 1 and {MAX_BATCH} page views"
            )
            return RecordActivityPayload(
                stored=0, duplicates=0, user_errors=[user_error(error)]
            )
        items = [
            activity.PageViewInput(
                message_id=v.message_id,
                occurred_at=v.occurred_at,
                path=v.path,
                member_external_id=v.member_external_id,
                anonymous_id=v.anonymous_id,
                title=v.title,
                url=v.url,
            )
            for v in input.page_views
        ]
        result = await activity.record_page_views(context_of(info).community, items)
        return _activity_payload(result, "pageViews")

    @strawberry.mutation(
        description="Record up to 1,000 contributions.",
        permission_classes=[CanIntegrate],
    )
    async def record_contributions(
        self, info: strawberry.Info, input: Annotated[RecordContributionsInput, _INPUT]
    ) -> RecordActivityPayload:
        if not 1 <= len(input.contributions) <= MAX_BATCH:
            error = DomainError(
                "contributions", f"send between 1 and {MAX_BATCH} contributions"
            )
            return RecordActivityPayload(
                stored=0, duplicates=0, user_errors=[user_error(error)]
            )
        items = [
            activity.ContributionInput(
                message_id=c.message_id,
                occurred_at=c.occurred_at,
                member_external_id=c.member_external_id,
                kind=Kind(c.kind.value),
            )
            for c in input.contributions
        ]
        result = await activity.record_contributions(context_of(info).community, items)
        return _activity_payload(result, "contributions")

    @strawberry.mutation(
        description="Change the time zone (re-cuts every day and month) or lurker threshold.",
        permission_classes=[IsAdmin],
    )
    async def update_community_settings(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateCommunitySettingsInput, _INPUT],
    ) -> UpdateCommunitySettingsPayload:
        context = context_of(info)
        try:
            await update_community_settings(
                context.community,
                input.timezone,
                input.lurker_threshold,
                GroupKey(input.group_id_kind.value) if input.group_id_kind else None,
                _event_names(input.contribution_events),
            )
        except DomainError as error:
            await context.community.refresh_from_db()
            return UpdateCommunitySettingsPayload(
                community=None, user_errors=[user_error(error)]
            )
        return UpdateCommunitySettingsPayload(
            community=community_of(info), user_errors=[]
        )

    @strawberry.mutation(
        description="Import companies from another CRM; importing twice changes nothing.",
        permission_classes=[IsAdmin],
    )
    async def import_companies(
        self, info: strawberry.Info, input: Annotated[ImportCompaniesInput, _INPUT]
    ) -> ImportCompaniesPayload:
        try:
            report = await import_companies_csv(context_of(info).community, input.csv)
        except DomainError as error:
            failed = [user_error(error, "csv")]
            return ImportCompaniesPayload(
                rows=0,
                companies_created=0,
                companies_updated=0,
                status_changes=0,
                user_errors=failed,
            )
        return ImportCompaniesPayload(
            rows=report.rows,
            companies_created=report.companies_created,
            companies_updated=report.companies_updated,
            status_changes=report.status_changes,
            user_errors=[
                UserError(
                    field=f"csv[{e.line}].{e.field}",
                    message=e.reason,
                    code=UserErrorCode.INVALID,
                )
                for e in report.errors
            ],
        )

    @strawberry.mutation(description="Issue an API key.", permission_classes=[IsAdmin])
    async def create_api_key(
        self, info: strawberry.Info, input: Annotated[CreateApiKeyInput, _INPUT]
    ) -> CreateApiKeyPayload:
        community_id = context_of(info).community.id
        issued = await create_api_key(
            community_id, RoleValue(input.role.value), input.name
        )
        return CreateApiKeyPayload(
            api_key=ApiKey.of(issued.record), secret=issued.secret, user_errors=[]
        )

    @strawberry.mutation(description="Revoke an API key.", permission_classes=[IsAdmin])
    async def revoke_api_key(
        self, info: strawberry.Info, input: Annotated[RevokeApiKeyInput, _INPUT]
    ) -> RevokeApiKeyPayload:
        try:
            key_id = row_id(input.id)
            if key_id is None:
                raise NotFound("id", "API key")
            row = await revoke_api_key(context_of(info).community.id, key_id)
        except DomainError as error:
            return RevokeApiKeyPayload(api_key=None, user_errors=[user_error(error)])
        return RevokeApiKeyPayload(api_key=ApiKey.of(row), user_errors=[])


def _activity_payload(
    result: activity.RecordResult, name: str
) -> RecordActivityPayload:
    return RecordActivityPayload(
        stored=result.stored,
        duplicates=result.duplicates,
        user_errors=[
            user_error(error, f"{name}[{index}]") for index, error in result.errors
        ],
    )


def _event_names(
    events: list[ContributionEventInput] | None,
) -> dict[str, Kind] | None:
    """The events as a map; a name given twice is refused by its second entry."""
    if events is None:
        return None
    names: dict[str, Kind] = {}
    for index, item in enumerate(events):
        if item.event in names:
            raise DomainError(f"contributionEvents[{index}].event", "appears twice")
        names[item.event] = Kind(item.kind.value)
    return names
