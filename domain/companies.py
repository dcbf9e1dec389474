"""Companies imported from a CRM, their web domains and customer periods."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from domain.db import write_transaction
from domain.errors import DomainError, NotFound
from domain.models import Company, CompanyDomain, CrmSource, CustomerPeriod
from domain.salesforce_ids import canonical_id

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)

Period = tuple[datetime | None, datetime | None]
MAX_ID = 2**63 - 1


def normalize_domain(value: str, field: str = "domain") -> str:
    """``https://www.Example.com/about`` -> ``example.com``, or a clear error."""
    text = (value or "").strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.").rstrip(".")
    if not _DOMAIN.match(text):
        raise DomainError(field, f"{value!r} is not a web domain")
    return text


def normalize_crm_id(source: CrmSource, crm_id: str, field: str = "crmId") -> str:
    if source is CrmSource.SALESFORCE:
        return canonical_id(crm_id, field)
    text = (crm_id or "").strip()
    if not text or len(text) > 64:
        raise DomainError(field, "must be 1 to 64 characters")
    return text


async def save_company(
    community_id: int,
    source: CrmSource,
    crm_id: str,
    name: str,
    domains: Iterable[str] = (),
) -> Company:
    """Create or update the company with this CRM id, and set its domains."""
    crm_id = normalize_crm_id(source, crm_id)
    if not name or not name.strip():
        raise DomainError("name", "must not be empty")
    clean_domains = sorted({normalize_domain(d, "domains") for d in domains})

    async with write_transaction(community_id) as conn:
        company, _ = await Company.get_or_create(
            community_id=community_id,
            crm_source=source,
            crm_id=crm_id,
            defaults={"name": name.strip()},
            using_db=conn,
        )
        if company.name != name.strip():
            company.name = name.strip()
            await company.save(using_db=conn)
        await CompanyDomain.filter(company_id=company.id).using_db(conn).delete()
        await CompanyDomain.bulk_create(
            [
                CompanyDomain(
                    community_id=community_id, company_id=company.id, domain=d
                )
                for d in clean_domains
            ],
            using_db=conn,
        )
    return company


def check_periods(
    periods: Sequence[Period], field: str = "customerPeriods"
) -> list[Period]:
    """Validate and order customer periods; overlapping ones are merged."""
    cleaned: list[Period] = []
    for start, end in periods:
        for instant, name in ((start, "from"), (end, "to")):
            if instant is not None and instant.tzinfo is None:
                raise DomainError(f"{field}.{name}", "must carry a time zone offset")
        if start is not None and end is not None and end <= start:
            raise DomainError(f"{field}.to", "must be after 'from'")
        cleaned.append((_utc(start), _utc(end)))
    cleaned.sort(key=lambda p: p[0] or datetime.min.replace(tzinfo=UTC))

    merged: list[Period] = []
    for start, end in cleaned:
        if merged and _touches(merged[-1], start):
            previous_start, previous_end = merged[-1]
            merged[-1] = (
                previous_start,
                None if end is None or previous_end is None else max(previous_end, end),
            )
        else:
            merged.append((start, end))
    return merged


def _touches(period: Period, start: datetime | None) -> bool:
    end = period[1]
    return end is None or start is None or start <= end


def _utc(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC) if instant is not None else None


async def set_customer_periods(company: Company, periods: Sequence[Period]) -> None:
    """Replace the company's customer periods with ``periods``."""
    merged = check_periods(periods)
    async with write_transaction(company.community_id) as conn:
        # community_id first: the (community_id, company_id) index serves it.
        await (
            CustomerPeriod.filter(
                community_id=company.community_id,
                company_id=company.id,
            )
            .using_db(conn)
            .delete()
        )
        await CustomerPeriod.bulk_create(
            [
                CustomerPeriod(
                    community_id=company.community_id,
                    company_id=company.id,
                    starts_at=start,
                    ends_at=end,
                )
                for start, end in merged
            ],
            using_db=conn,
        )


async def get_company(
    community_id: int, company_id: int | str, field: str = "companyId"
) -> Company:
    """The company with this id in this community; another community's is not found."""
    try:
        key = int(company_id)
    except (TypeError, ValueError):
        raise NotFound(field, "company") from None
    # Beyond a BIGINT no company exists, and neither database takes the value.
    if not 0 < key <= MAX_ID:
        raise NotFound(field, "company")
    company = await Company.get_or_none(id=key, community_id=community_id)
    if company is None:
        raise NotFound(field, "company")
    return company


async def find_company_by_crm_id(
    community_id: int, crm_id: str, field: str = "crmId"
) -> Company:
    """Resolve a CRM id: a Salesforce id in either form, else a verbatim id."""
    candidates = {(crm_id or "").strip()}
    with contextlib.suppress(DomainError):
        candidates.add(canonical_id(crm_id, field))
    company = await Company.filter(
        community_id=community_id, crm_id__in=candidates
    ).first()
    if company is None:
        raise NotFound(field, "company")
    return company


async def find_company_by_domain(
    community_id: int, domain: str, field: str = "domain"
) -> Company:
    """The one company with this web domain; two companies sharing it is an error."""
    clean = normalize_domain(domain, field)
    ids = await CompanyDomain.filter(
        community_id=community_id, domain=clean
    ).values_list("company_id", flat=True)
    if not ids:
        raise NotFound(field, "company with that domain")
    if len(set(ids)) > 1:
        raise DomainError(field, f"{clean!r} belongs to more than one company")
    return await Company.get(id=ids[0])
