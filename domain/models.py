"""Tortoise models. Every row belongs to exactly one community.

Raw activity (page views, contributions) names the member, never the company:
a member's company is read through the member at aggregation time, so linking
late or re-linking rewrites no raw row. The rollup tables below are derived
from the raw rows and can be rebuilt from them at any time.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class CrmSource(StrEnum):
    SALESFORCE = "salesforce"
    CSV = "csv"
    MANUAL = "manual"


class LinkSource(StrEnum):
    MANUAL = "manual"
    CRM_CONTACT = "crm_contact"
    EMAIL_DOMAIN = "email_domain"


class ContributionKind(StrEnum):
    TOPIC = "topic"
    REPLY = "reply"
    REACTION = "reaction"
    SOLUTION = "solution"
    IDEA = "idea"


class Role(StrEnum):
    VIEWER = "viewer"
    INTEGRATION = "integration"
    ADMIN = "admin"


class GroupKey(StrEnum):
    """What the ``groupId`` of an ingested ``group`` call names."""

    COMPANY_ID = "company_id"
    CRM_ID = "crm_id"
    DOMAIN = "domain"


class Community(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64, default="UTC")
    lurker_threshold = fields.IntField(default=0)
    group_key = fields.CharEnumField(GroupKey, max_length=16, default=GroupKey.CRM_ID)
    # Track event names mapped to contribution kinds, over the defaults.
    event_kinds: fields.JSONField[dict[str, str] | None] = fields.JSONField(null=True)
    # The shape of the rollups this community's were built in; an older one
    # is rebuilt from the raw activity after migrating.
    rollups_version = fields.IntField(default=0, db_default=0)
    # Moves on after every committed write of the community's data: answers
    # remembered for an older version are not served again.
    data_version = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community"


class Company(Model):
    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community", related_name="companies", on_delete=fields.CASCADE
    )
    community_id: int
    crm_source = fields.CharEnumField(CrmSource, max_length=16)
    crm_id = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "company"
        unique_together = (("community", "crm_source", "crm_id"),)
        indexes = (("community_id", "name"),)


class CompanyDomain(Model):
    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community", related_name="company_domains", on_delete=fields.CASCADE
    )
    community_id: int
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "engagement.Company", related_name="domains", on_delete=fields.CASCADE
    )
    company_id: int
    domain = fields.CharField(max_length=255)

    class Meta:
        table = "company_domain"
        unique_together = (("company", "domain"),)
        indexes = (("community_id", "domain"),)


class CustomerPeriod(Model):
    """A stretch ``[starts_at, ends_at)`` in which a company was a customer.

    ``starts_at`` null: a customer since before any record; ``ends_at`` null:
    still a customer.
    """

    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community",
        related_name="customer_periods",
        on_delete=fields.CASCADE,
    )
    community_id: int
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "engagement.Company", related_name="customer_periods", on_delete=fields.CASCADE
    )
    company_id: int
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)

    class Meta:
        table = "customer_period"
        indexes = (("community_id", "company_id"),)


class CompanyStatusChange(Model):
    """A company's CRM status from ``effective_at`` on, as imported.

    ``effective_at`` null: held since before any record. These rows are the
    source of truth from which the company's customer periods are derived.
    """

    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community",
        related_name="company_status_changes",
        on_delete=fields.CASCADE,
    )
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "engagement.Company", related_name="status_changes", on_delete=fields.CASCADE
    )
    effective_at = fields.DatetimeField(null=True)
    is_customer = fields.BooleanField()
    # The CRM's word for the status, lowercased: "customer", "churned", ...
    status = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "company_status_change"
        indexes = (("company_id", "effective_at"),)


class Member(Model):
    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community", related_name="members", on_delete=fields.CASCADE
    )
    community_id: int
    external_id = fields.CharField(max_length=255)
    email = fields.CharField(max_length=320, null=True)
    company: fields.ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "engagement.Company",
        related_name="members",
        null=True,
        on_delete=fields.SET_NULL,
    )
    company_id: int | None
    link_source: LinkSource | None = fields.CharEnumField(  # type: ignore[assignment]
        LinkSource, max_length=16, null=True
    )
    linked_at = fields.DatetimeField(null=True)
    # Bumped by every link change; the rollups have caught up with the link
    # when attributed_version equals it.
    link_version = fields.IntField(default=0)
    attributed_version = fields.IntField(default=0)
    # The company the rollups credit the member's whole history to: the linked
    # company once re-attribution has caught up, the previous one until then.
    attributed_company_id = fields.BigIntField(null=True)
    traits: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member"
        unique_together = (("community", "external_id"),)
        indexes = (("community_id", "company_id"), ("attributed_company_id",))


class PageView(Model):
    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField(null=True)
    anonymous_id = fields.CharField(max_length=255, null=True)
    occurred_at = fields.DatetimeField()
    path = fields.CharField(max_length=2048)
    title = fields.CharField(max_length=1024, null=True)
    url = fields.CharField(max_length=4096, null=True)
    message_id = fields.CharField(max_length=255)

    class Meta:
        table = "page_view"
        unique_together = (("community_id", "message_id"),)
        indexes = (("member_id", "occurred_at"),)


class Contribution(Model):
    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField()
    kind = fields.CharEnumField(ContributionKind, max_length=16)
    occurred_at = fields.DatetimeField()
    message_id = fields.CharField(max_length=255)

    class Meta:
        table = "contribution"
        unique_together = (("community_id", "message_id"),)
        indexes = (("member_id", "occurred_at"),)


class ApiKey(Model):
    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community", related_name="api_keys", on_delete=fields.CASCADE
    )
    community_id: int
    role = fields.CharEnumField(Role, max_length=16)
    name = fields.CharField(max_length=200, default="")
    prefix = fields.CharField(max_length=16)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


class _ActivityCounts(Model):
    page_views = fields.IntField(default=0)
    topics = fields.IntField(default=0)
    replies = fields.IntField(default=0)
    reactions = fields.IntField(default=0)
    solutions = fields.IntField(default=0)
    ideas = fields.IntField(default=0)
    last_view_at = fields.DatetimeField(null=True)

    class Meta:
        abstract = True


class MemberDayRollup(_ActivityCounts):
    """One member's activity on one local day."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField()
    day = fields.DateField()

    class Meta:
        table = "member_day_rollup"
        unique_together = (("member_id", "day"),)
        indexes = (("community_id", "day"),)


class MemberMonthRollup(_ActivityCounts):
    """One member's activity in one local month.

    Bit ``d - 1`` of ``view_days`` is set when the member viewed a page on day
    ``d``: a range that starts or ends inside the month reads its days there.
    """

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField()
    month = fields.DateField()
    view_days = fields.BigIntField(default=0)

    class Meta:
        table = "member_month_rollup"
        unique_together = (("member_id", "month"),)
        indexes = (("community_id", "month"),)


# The columns of a company's page views on each local day of a month.
DAY_VIEW_COLUMNS = tuple(f"views_d{day:02d}" for day in range(1, 32))


class CompanyMonthRollup(_ActivityCounts):
    """A company's attributed activity in one local month, and its days' views.

    ``views_d01`` to ``views_d31`` split the month's page views by local day, so
    a range that starts or ends inside the month reads one row, not 31.
    """

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    company_id = fields.BigIntField()
    month = fields.DateField()
    for _column in DAY_VIEW_COLUMNS:
        vars()[_column] = fields.IntField(default=0)
    del _column

    class Meta:
        table = "company_month_rollup"
        unique_together = (("company_id", "month"),)
        indexes = (("community_id", "month"),)


class CompanyDayContributions(Model):
    """A company's attributed contributions on one local day, where it had any."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    company_id = fields.BigIntField()
    day = fields.DateField()
    topics = fields.IntField(default=0)
    replies = fields.IntField(default=0)
    reactions = fields.IntField(default=0)
    solutions = fields.IntField(default=0)
    ideas = fields.IntField(default=0)

    class Meta:
        table = "company_day_contributions"
        unique_together = (("company_id", "day"),)


class CompanyActivity(Model):
    """The months in which a company had attributed page views, as bits.

    Spans as in ``MemberActivity``: a month is bit ``month - 30 * span`` of
    every span that holds it.
    """

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    company_id = fields.BigIntField()
    span = fields.IntField()
    months = fields.BigIntField(default=0)

    class Meta:
        table = "company_activity"
        unique_together = (("company_id", "span"),)
        indexes = (("community_id", "span"),)


class MemberActivity(Model):
    """The months in which a member viewed a page, as bits, for distinct counts.

    A row covers 63 consecutive months starting at month ``30 * span`` (months
    counted from January of year 0); spans overlap, so every range of up to 33
    months lies within one row of each member. ``company_id`` is the member's
    attributed company.
    """

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField()
    span = fields.IntField()
    months = fields.BigIntField(default=0)
    company_id = fields.BigIntField(null=True)

    class Meta:
        table = "member_activity"
        unique_together = (("member_id", "span"),)
        indexes = (("community_id", "span", "company_id", "months"),)


class CommunityDayRollup(Model):
    """Every page view of a community on one local day, anonymous ones too."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    day = fields.DateField()
    page_views = fields.IntField(default=0)
    anonymous_page_views = fields.IntField(default=0)

    class Meta:
        table = "community_day_rollup"
        unique_together = (("community_id", "day"),)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(Model):
    """Long work (enrichment, a CRM sync, an import) and how it is going."""

    id = fields.CharField(max_length=32, primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community", related_name="jobs", on_delete=fields.CASCADE
    )
    community_id: int
    kind = fields.CharField(max_length=64)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    # Set while queued: a second request for the same work joins this job.
    dedupe_key = fields.CharField(max_length=255, null=True, unique=True)
    arguments: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    progress = fields.FloatField(default=0.0)
    error = fields.TextField(null=True)
    result: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job"
        indexes = (("community_id", "created_at"),)


class MessageReceipt(Model):
    """An ingested message that left no row of its own, kept to ignore a resend."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    message_id = fields.CharField(max_length=255)
    received_at = fields.DatetimeField()

    class Meta:
        table = "message_receipt"
        unique_together = (("community_id", "message_id"),)


class SalesforceAuth(StrEnum):
    """How a community's Salesforce connection logs in."""

    PASSWORD = "password"  # username + password + security token
    JWT = "jwt"  # OAuth JWT bearer: username + consumer key + private key
    SESSION = "session"  # instance URL + access token (session id)


class SalesforceConnection(Model):
    """A community's Salesforce org: how to log in, and what its fields mean.

    ``secrets`` is a Fernet token of the password, security token, private key
    or access token; nothing secret is stored in the clear.
    """

    id = fields.IntField(primary_key=True)
    community: fields.OneToOneRelation[Community] = fields.OneToOneField(
        "engagement.Community",
        related_name="salesforce_connection",
        on_delete=fields.CASCADE,
    )
    auth = fields.CharEnumField(SalesforceAuth, max_length=16)
    domain = fields.CharField(max_length=128, default="login")
    instance_url = fields.CharField(max_length=255, null=True)
    username = fields.CharField(max_length=255, null=True)
    consumer_key = fields.CharField(max_length=255, null=True)
    secrets = fields.TextField()
    # PEM certificates of a private CA; public material, stored as given.
    ca_bundle = fields.TextField(null=True)
    api_version = fields.CharField(max_length=8, default="59.0")
    status_field = fields.CharField(max_length=80, default="Type")
    customer_values: fields.JSONField[list[str]] = fields.JSONField(default=list)
    customer_since_field = fields.CharField(max_length=80, null=True)
    churn_date_field = fields.CharField(max_length=80, null=True)
    domain_field = fields.CharField(max_length=80, null=True, default="Website")
    extra_filter = fields.TextField(null=True)
    link_by_email_domain = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "salesforce_connection"


class SalesforceSyncState(Model):
    """Where a community's Salesforce sync got to, and who is running it.

    A watermark is the (SystemModstamp, Id) of the last record whose data is
    committed; the lease keeps two workers from syncing one community at once.
    """

    id = fields.IntField(primary_key=True)
    community: fields.OneToOneRelation[Community] = fields.OneToOneField(
        "engagement.Community",
        related_name="salesforce_sync_state",
        on_delete=fields.CASCADE,
    )
    accounts_modstamp = fields.DatetimeField(null=True)
    accounts_last_id = fields.CharField(max_length=18, null=True)
    contacts_modstamp = fields.DatetimeField(null=True)
    contacts_last_id = fields.CharField(max_length=18, null=True)
    reconciled_at = fields.DatetimeField(null=True)
    lease_token = fields.CharField(max_length=32, null=True)
    lease_until = fields.DatetimeField(null=True)
    last_run_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "salesforce_sync_state"


class SalesforceAccount(Model):
    """What the sync last saw of an Account, beside the company it became."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "engagement.Company",
        related_name="salesforce_accounts",
        on_delete=fields.CASCADE,
    )
    account_id = fields.CharField(max_length=18)
    is_deleted = fields.BooleanField(default=False)
    master_record_id = fields.CharField(max_length=18, null=True)
    status = fields.TextField(null=True)
    modstamp = fields.DatetimeField(null=True)

    class Meta:
        table = "salesforce_account"
        unique_together = (("community_id", "account_id"),)


class SalesforceContact(Model):
    """A Contact's e-mail and account, lowercased, for linking members."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    contact_id = fields.CharField(max_length=18)
    account_id = fields.CharField(max_length=18, null=True)
    email = fields.CharField(max_length=320, null=True)
    is_deleted = fields.BooleanField(default=False)
    modstamp = fields.DatetimeField(null=True)

    class Meta:
        table = "salesforce_contact"
        unique_together = (("community_id", "contact_id"),)
        indexes = (("community_id", "email"),)
