"""The read side of the schema: every field is scoped to the caller's community."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from api.context import CanRead, IsAdmin, context_of
from api.errors import input_error
from api.ids import row_id
from api.scalars import Month
from api.types import (
    After,
    Customer,
    CustomerConnection,
    CustomerEdge,
    EngagementSummary,
    First,
    From,
    Job,
    JobConnection,
    Member,
    MonthlyActivity,
    PageInfo,
    To,
    check_page_size,
    id_from_cursor,
    job_connection,
)
from domain import customers as customer_lists
from domain.communities import event_kinds
from domain.errors import DomainError
from domain.jobs import get_job, list_jobs
from domain.members import get_member
from domain.metrics import engagement_summary, monthly_activity
from domain.models import ApiKey as ApiKeyRow
from domain.models import Company, GroupKey
from domain.text import is_storable

FromMonth = Annotated[
    Month, strawberry.argument(name="from", description="First month, included.")
]
ToMonth = Annotated[Month, strawberry.argument(description="Last month, included.")]


@strawberry.enum(description="Which customers a list holds.")
class CustomerActivity(Enum):
    ALL = "all"
    ACTIVE = "active"
    INACTIVE = "inactive"


@strawberry.enum(description="How a customer list is sorted.")
class CustomerOrder(Enum):
    NAME = "name"
    PAGE_VIEWS = "page_views"
    UNIQUE_VISITORS = "unique_visitors"
    LAST_SEEN = "last_seen"


@strawberry.enum(description="Kinds of contribution.")
class ContributionKind(Enum):
    TOPIC = "topic"
    REPLY = "reply"
    REACTION = "reaction"
    SOLUTION = "solution"
    IDEA = "idea"


@strawberry.enum(description="What the groupId of an ingested group call names.")
class GroupIdKind(Enum):
    COMPANY_ID = "company_id"
    CRM_ID = "crm_id"
    DOMAIN = "domain"


@strawberry.type(description="A track event that records a contribution.")
class ContributionEvent:
    event: str = strawberry.field(description="The event name, as sent.")
    kind: ContributionKind = strawberry.field(description="The contribution.")


@strawberry.type(description="The caller's community and its settings.")
class Community:
    id: strawberry.ID = strawberry.field(description="The community's id.")
    name: str = strawberry.field(description="The community's name.")
    timezone: str = strawberry.field(
        description="IANA zone in which days and months are cut."
    )
    lurker_threshold: int = strawberry.field(
        description="Page views above which a customer without contributions is a lurker."
    )
    group_id_kind: GroupIdKind = strawberry.field(
        description="What the groupId of an ingested group call names."
    )
    contribution_events: list[ContributionEvent] = strawberry.field(
        description="Track events that are contributions: the defaults and the"
        " community's own."
    )


@strawberry.type(description="An API key, without its secret.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="The key's id.")
    role: str = strawberry.field(description="viewer, integration or admin.")
    name: str = strawberry.field(description="A label to recognise the key by.")
    prefix: str = strawberry.field(description="The key's first characters.")
    created_at: str = strawberry.field(description="When it was issued, ISO 8601.")
    revoked_at: str | None = strawberry.field(
        description="When it was revoked, if it was."
    )

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        return cls(
            id=strawberry.ID(str(row.id)),
            role=row.role.value,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at.isoformat(),
            revoked_at=row.revoked_at.isoformat() if row.revoked_at else None,
        )


def community_of(info: strawberry.Info) -> Community:
    row = context_of(info).community
    return Community(
        id=strawberry.ID(str(row.id)),
        name=row.name,
        timezone=row.timezone,
        lurker_threshold=row.lurker_threshold,
        group_id_kind=GroupIdKind(GroupKey(row.group_key).value),
        contribution_events=[
            ContributionEvent(event=name, kind=ContributionKind(kind.value))
            for name, kind in sorted(event_kinds(row).items())
        ],
    )


@strawberry.type(description="Everything a dashboard reads.")
class Query:
    @strawberry.field(
        description="The caller's community.", permission_classes=[CanRead]
    )
    def community(self, info: strawberry.Info) -> Community:
        return community_of(info)

    @strawberry.field(
        description="Active, inactive and total customers per month, both months included.",
        permission_classes=[CanRead],
    )
    async def monthly_activity(
        self,
        info: strawberry.Info,
        from_: FromMonth,
        to: ToMonth,
    ) -> list[MonthlyActivity]:
        try:
            months = await monthly_activity(context_of(info).community, from_, to)
        except DomainError as error:
            raise input_error(error) from None
        return [MonthlyActivity.of(m) for m in months]

    @strawberry.field(
        description="Customer counts and traffic of a range of dates.",
        permission_classes=[CanRead],
    )
    async def engagement_summary(
        self, info: strawberry.Info, from_: From, to: To
    ) -> EngagementSummary:
        try:
            summary = await engagement_summary(context_of(info).community, from_, to)
        except DomainError as error:
            raise input_error(error) from None
        return EngagementSummary(
            active_customers=summary.active,
            inactive_customers=summary.inactive,
            total_customers=summary.total,
            active_rate=summary.rate,
            page_views=summary.page_views,
            unique_visitors=summary.unique_visitors,
            anonymous_page_views=summary.anonymous_page_views,
            months=[MonthlyActivity.of(m) for m in summary.months],
        )

    @strawberry.field(
        description="Companies that were customers at some time in the range. INACTIVE"
        " lists are sorted by last seen, newest first, never seen last, then by name.",
        permission_classes=[CanRead],
    )
    async def customers(
        self,
        info: strawberry.Info,
        from_: From,
        to: To,
        activity: Annotated[
            CustomerActivity,
            strawberry.argument(description="Which customers to list."),
        ] = CustomerActivity.ALL,
        search: Annotated[
            str | None, strawberry.argument(description="Part of the name, any case.")
        ] = None,
        order_by: Annotated[
            CustomerOrder | None,
            strawberry.argument(
                description="Default: NAME, or LAST_SEEN for INACTIVE."
            ),
        ] = None,
        first: First = 50,
        after: After = None,
    ) -> CustomerConnection:
        check_page_size(first)
        context = context_of(info)
        try:
            page, order = await customer_lists.list_customers(
                context.community,
                from_,
                to,
                activity=customer_lists.ActivityFilter(activity.value),
                search=search,
                order=customer_lists.CustomerOrder(order_by.value)
                if order_by
                else None,
                limit=first,
                after=after,
            )
        except DomainError as error:
            raise input_error(error) from None
        companies = await Company.filter(id__in=[r.company_id for r in page.rows])
        by_id = {c.id: c for c in companies}
        edges = [
            CustomerEdge(
                cursor=page.cursor(row, order), node=Customer.of(by_id[row.company_id])
            )
            for row in page.rows
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total_count,
        )

    @strawberry.field(
        description="One company by id; null when there is none in this community.",
        permission_classes=[CanRead],
    )
    async def customer(
        self,
        info: strawberry.Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The company's id.")
        ],
    ) -> Customer | None:
        company_id = row_id(id)
        if company_id is None:
            return None
        row = await context_of(info).loaders.company.load(company_id)
        return Customer.of(row) if row else None

    @strawberry.field(
        description="One member by the community platform's user id.",
        permission_classes=[CanRead],
    )
    async def member(
        self,
        info: strawberry.Info,
        external_id: Annotated[
            str, strawberry.argument(description="The community platform's user id.")
        ],
    ) -> Member | None:
        if not is_storable(external_id):
            return None
        row = await get_member(context_of(info).community.id, external_id)
        return Member.of(row) if row else None

    @strawberry.field(description="One job by id.", permission_classes=[CanRead])
    async def job(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's id.")],
    ) -> Job | None:
        row = await get_job(context_of(info).community.id, str(id))
        return Job.of(row) if row else None

    @strawberry.field(
        description="The community's jobs, newest first.", permission_classes=[CanRead]
    )
    async def jobs(
        self, info: strawberry.Info, first: First = 20, after: After = None
    ) -> JobConnection:
        check_page_size(first)
        anchor = id_from_cursor(after) if after else None
        try:
            rows = await list_jobs(context_of(info).community.id, first, anchor)
        except DomainError as error:
            raise input_error(error) from None
        return job_connection(rows, first, after)

    @strawberry.field(
        description="The community's API keys.", permission_classes=[IsAdmin]
    )
    async def api_keys(self, info: strawberry.Info) -> list[ApiKey]:
        rows = await ApiKeyRow.filter(
            community_id=context_of(info).community.id
        ).order_by("id")
        return [ApiKey.of(row) for row in rows]
