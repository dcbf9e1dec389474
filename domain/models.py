"""Tortoise models. Every row belongs to exactly one community.

Raw activity (page views, contributions) names the member, never the company:
a member's company is read through the member at aggregation time, so linking
late or re-linking rewrites no raw row. The rollup tables below are derived
from the raw rows and can be rebuilt from them at any time.
"""

from __future__ import annotations

from enum import StrEnum

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
    event_kinds = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community"


class Company(Model):
    id = fields.BigIntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "engagement.Community", related_name="companies", on_delete=fields.CASCADE
    )
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
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "engagement.Company", related_name="domains", on_delete=fields.CASCADE
    )
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
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "engagement.Company", related_name="customer_periods", on_delete=fields.CASCADE
    )
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
    external_id = fields.CharField(max_length=255)
    email = fields.CharField(max_length=320, null=True)
    company: fields.ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "engagement.Company",
        related_name="members",
        null=True,
        on_delete=fields.SET_NULL,
    )
    link_source = fields.CharEnumField(LinkSource, max_length=16, null=True)
    linked_at = fields.DatetimeField(null=True)
    # Bumped by every link change; the rollups have caught up with the link
    # when attributed_version equals it.
    link_version = fields.IntField(default=0)
    attributed_version = fields.IntField(default=0)
    traits = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member"
        unique_together = (("community", "external_id"),)
        indexes = (("community_id", "company_id"),)


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
    """One member's activity on one local day, credited to ``company_id``."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField()
    company_id = fields.BigIntField(null=True)
    day = fields.DateField()

    class Meta:
        table = "member_day_rollup"
        unique_together = (("member_id", "day"),)
        indexes = (("community_id", "day"),)


class MemberMonthRollup(_ActivityCounts):
    """One member's activity in one local month, credited to ``company_id``."""

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    member_id = fields.BigIntField()
    company_id = fields.BigIntField(null=True)
    month = fields.DateField()

    class Meta:
        table = "member_month_rollup"
        unique_together = (("member_id", "month"),)
        indexes = (("community_id", "month"), ("company_id", "month"))


class CompanyMonthRollup(_ActivityCounts):
    """A company's attributed activity in one local month.

    ``visitors`` counts the members with at least one page view that month.
    """

    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    company_id = fields.BigIntField()
    month = fields.DateField()
    visitors = fields.IntField(default=0)

    class Meta:
        table = "company_month_rollup"
        unique_together = (("company_id", "month"),)
        indexes = (("community_id", "month"),)


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
    kind = fields.CharField(max_length=64)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    # Set while queued: a second request for the same work joins this job.
    dedupe_key = fields.CharField(max_length=255, null=True, unique=True)
    arguments = fields.JSONField(default=dict)
    progress = fields.FloatField(default=0.0)
    error = fields.TextField(null=True)
    result = fields.JSONField(null=True)
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
