"""The schema's object types. Each field's description is the API's documentation."""

from __future__ import annotations

import base64
from datetime import date, datetime
from enum import Enum
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from api.context import context_of
from api.errors import input_error
from api.ids import row_id
from api.loaders import is_customer_now, member_page
from api.scalars import Month
from domain.errors import DomainError
from domain.metrics import CustomerEngagement as Engagement
from domain.metrics import MonthlyActivity as MonthlyCounts
from domain.models import Company
from domain.models import Job as JobRow
from domain.models import Member as MemberRow
from domain.periods import validate_date_range

MAX_PAGE = 200

From = Annotated[
    date, strawberry.argument(name="from", description="First day, included.")
]
To = Annotated[date, strawberry.argument(description="Last day, included.")]
First = Annotated[int, strawberry.argument(description="Rows per page, 1 to 200.")]
After = Annotated[
    str | None,
    strawberry.argument(description="The cursor of the row to continue after."),
]


def check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise input_error(DomainError("first", f"must be between 1 and {MAX_PAGE}"))


@strawberry.type(description="Customer counts of one calendar month.")
class MonthlyActivity:
    month: Month = strawberry.field(
        description="The month, in the community's time zone."
    )
    active_customers: int = strawberry.field(
        description="Customers with at least one attributed page view in the month."
    )
    inactive_customers: int = strawberry.field(
        description="Customers without any attributed page view in the month."
    )
    total_customers: int = strawberry.field(
        description="Companies that were customers at some time in the month."
    )
    active_rate: float | None = strawberry.field(
        description="Active / total, between 0 and 1; null when there were no customers."
    )

    @classmethod
    def of(cls, counts: MonthlyCounts) -> MonthlyActivity:
        return cls(
            month=Month(counts.month),
            active_customers=counts.active,
            inactive_customers=counts.inactive,
            total_customers=counts.total,
            active_rate=counts.rate,
        )


@strawberry.type(description="Customer counts and traffic of a range of dates.")
class EngagementSummary:
    active_customers: int = strawberry.field(
        description="Customers in the range with at least one attributed page view in it."
    )
    inactive_customers: int = strawberry.field(
        description="Customers in the range without any attributed page view in it."
    )
    total_customers: int = strawberry.field(
        description="Companies that were customers at some time in the range."
    )
    active_rate: float | None = strawberry.field(
        description="Active / total, between 0 and 1; null when there were no customers."
    )
    page_views: int = strawberry.field(
        description="Every page view in the range, anonymous ones included."
    )
    unique_visitors: int = strawberry.field(
        description="Distinct members (linked or not) with a page view in the range."
    )
    anonymous_page_views: int = strawberry.field(
        description="Page views in the range without a member."
    )
    months: list[MonthlyActivity] = strawberry.field(
        description="The counts of each month the range touches, whole months."
    )


@strawberry.type(description="Contributions by kind.")
class Contributions:
    topics: int = strawberry.field(description="New threads started.")
    replies: int = strawberry.field(description="Replies posted.")
    reactions: int = strawberry.field(description="Reactions (likes, kudos) given.")
    solutions: int = strawberry.field(description="Accepted solutions.")
    ideas: int = strawberry.field(description="Ideas submitted.")
    total: int = strawberry.field(description="All contributions.")


@strawberry.type(description="A customer's engagement in a range of dates.")
class CustomerEngagement:
    active: bool = strawberry.field(description="At least one attributed page view.")
    unique_visitors: int = strawberry.field(
        description="Distinct members of the company with a page view."
    )
    page_views: int = strawberry.field(
        description="Attributed page views, refreshes included."
    )
    lurker: bool = strawberry.field(
        description="More page views than the community's lurker threshold and no contribution."
    )
    contributions: Contributions = strawberry.field(
        description="Contributions by kind."
    )

    @classmethod
    def of(cls, engagement: Engagement) -> CustomerEngagement:
        return cls(
            active=engagement.active,
            unique_visitors=engagement.unique_visitors,
            page_views=engagement.page_views,
            lurker=engagement.lurker,
            contributions=Contributions(
                **engagement.contributions, total=engagement.contributions_total
            ),
        )


@strawberry.type(description="A stretch of time in which the company was a customer.")
class CustomerPeriod:
    from_: datetime | None = strawberry.field(
        name="from", description="Start; null when it began before any record."
    )
    to: datetime | None = strawberry.field(
        description="End (exclusive); null while open."
    )


@strawberry.type(description="Paging state of a connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(description="Rows precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first row.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last row.")


@strawberry.enum(description="How a member came to be linked to its company.")
class LinkSource(Enum):
    MANUAL = "manual"
    CRM_CONTACT = "crm_contact"
    EMAIL_DOMAIN = "email_domain"


@strawberry.type(description="A registered community member.")
class Member:
    external_id: str = strawberry.field(description="The community platform's user id.")
    email: str | None = strawberry.field(description="The member's e-mail, when known.")
    link_source: LinkSource | None = strawberry.field(
        description="How the link was made."
    )
    linked_at: datetime | None = strawberry.field(description="When the link was made.")
    company_id: strawberry.Private[int | None]

    @strawberry.field(description="The company the member is linked to now.")
    async def company(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("api.types")] | None:
        if self.company_id is None:
            return None
        row = await context_of(info).loaders.company.load(self.company_id)
        return Customer.of(row) if row else None

    @classmethod
    def of(cls, row: MemberRow) -> Member:
        return cls(
            external_id=row.external_id,
            email=row.email,
            link_source=LinkSource(row.link_source.value) if row.link_source else None,
            linked_at=row.linked_at,
            company_id=row.company_id,
        )


@strawberry.type(description="An edge of a member connection.")
class MemberEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to continue after this row."
    )
    node: Member = strawberry.field(description="The member.")


@strawberry.type(description="A page of members.")
class MemberConnection:
    edges: list[MemberEdge] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    total_count: int = strawberry.field(description="Members in the whole list.")


def _id_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(f"id:{value}".encode()).decode()


def id_from_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("id:"):
        raise input_error(DomainError("after", "is not a cursor of this list"))
    return text[3:]


def _member_cursor(cursor: str) -> int:
    """The member id a cursor of a member list holds."""
    member_id = row_id(id_from_cursor(cursor))
    if member_id is None:
        raise input_error(DomainError("after", "is not a cursor of this list"))
    return member_id


@strawberry.type(description="A company imported from the CRM.")
class Customer:
    id: strawberry.ID = strawberry.field(
        description="The company's id in this service."
    )
    name: str = strawberry.field(description="The company's name in the CRM.")
    crm_id: str = strawberry.field(
        description="The CRM's id; Salesforce ids in their 18-character form."
    )

    @classmethod
    def of(cls, row: Company) -> Customer:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, crm_id=row.crm_id)

    @property
    def key(self) -> int:
        return int(self.id)

    @strawberry.field(description="The company's web domains.")
    async def domains(self, info: strawberry.Info) -> list[str]:
        return await context_of(info).loaders.domains.load(self.key)

    @strawberry.field(description="The stretches of time in which it was a customer.")
    async def customer_periods(self, info: strawberry.Info) -> list[CustomerPeriod]:
        periods = await context_of(info).loaders.periods.load(self.key)
        return [CustomerPeriod(from_=start, to=end) for start, end in periods]

    @strawberry.field(description="Whether it is a customer right now.")
    async def is_customer(self, info: strawberry.Info) -> bool:
        return is_customer_now(await context_of(info).loaders.periods.load(self.key))

    @strawberry.field(
        description="The latest attributed page view, ever; null means never seen."
    )
    async def last_seen_at(self, info: strawberry.Info) -> datetime | None:
        return await context_of(info).loaders.last_seen.load(self.key)

    @strawberry.field(description="Members linked to it now.")
    async def member_count(self, info: strawberry.Info) -> int:
        return await context_of(info).loaders.member_count.load(self.key)

    @strawberry.field(description="Its engagement in a range of dates (inclusive).")
    async def engagement(
        self,
        info: strawberry.Info,
        from_: From,
        to: To,
    ) -> CustomerEngagement:
        try:
            validate_date_range(from_, to)
        except DomainError as error:
            raise input_error(error) from None
        found = await context_of(info).loaders.engagement.load((self.key, from_, to))
        return CustomerEngagement.of(found)

    @strawberry.field(description="Its members, in the order they were first seen.")
    async def members(
        self, info: strawberry.Info, first: First = 50, after: After = None
    ) -> MemberConnection:
        check_page_size(first)
        start = _member_cursor(after) if after else None
        context = context_of(info)
        rows = await member_page(context.community, self.key, first, start)
        page = rows[:first]
        edges = [MemberEdge(cursor=_id_cursor(r.id), node=Member.of(r)) for r in page]
        return MemberConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                has_previous_page=start is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=await context.loaders.member_count.load(self.key),
        )


@strawberry.type(description="An edge of a customer connection.")
class CustomerEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to continue after this row."
    )
    node: Customer = strawberry.field(description="The customer.")


@strawberry.type(description="A page of customers.")
class CustomerConnection:
    edges: list[CustomerEdge] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    total_count: int = strawberry.field(description="Rows in the whole filtered list.")


@strawberry.enum(description="Where a job is.")
class JobStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@strawberry.type(description="Long work: an enrichment, a CRM sync, an import.")
class Job:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    kind: str = strawberry.field(description="What the job does.")
    status: JobStatus = strawberry.field(description="Where it is.")
    progress: float = strawberry.field(description="Between 0 and 1.")
    error: str | None = strawberry.field(description="Why it failed, when it did.")
    result: JSON | None = strawberry.field(description="What it did, once done.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    started_at: datetime | None = strawberry.field(description="When it last started.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")

    @classmethod
    def of(cls, row: JobRow) -> Job:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            status=JobStatus(row.status.value),
            progress=row.progress,
            error=row.error,
            result=cast(JSON, row.result),
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@strawberry.type(description="An edge of a job connection.")
class JobEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to continue after this row."
    )
    node: Job = strawberry.field(description="The job.")


@strawberry.type(description="A page of jobs, newest first.")
class JobConnection:
    edges: list[JobEdge] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")


def job_connection(rows: list[JobRow], first: int, after: str | None) -> JobConnection:
    page = rows[:first]
    edges = [JobEdge(cursor=_id_cursor(r.id), node=Job.of(r)) for r in page]
    return JobConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
