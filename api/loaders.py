"""Per-request DataLoaders, bound to the caller's community.

A page of customers asks for engagement, last seen, members and domains of
each row; these turn those into one query per kind and page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

from strawberry.dataloader import DataLoader

from domain.db import fetch
from domain.metrics import CustomerEngagement, customer_engagement, last_seen
from domain.models import Community, Company, CompanyDomain, CustomerPeriod, Member


class Loaders:
    def __init__(self, community: Community):
        self.community = community
        self.company = DataLoader(self._companies)
        self.engagement = DataLoader(self._engagement)
        self.last_seen = DataLoader(self._last_seen)
        self.member_count = DataLoader(self._member_counts)
        self.domains = DataLoader(self._domains)
        self.periods = DataLoader(self._periods)

    async def _companies(self, ids: Sequence[int]) -> list[Company | None]:
        rows = await Company.filter(community_id=self.community.id, id__in=list(ids))
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    async def _engagement(
        self, keys: Sequence[tuple[int, date, date]]
    ) -> list[CustomerEngagement]:
        by_range: dict[tuple[date, date], list[int]] = defaultdict(list)
        for company_id, first, last in keys:
            by_range[(first, last)].append(company_id)
        answers = {}
        for (first, last), ids in by_range.items():
            found = await customer_engagement(self.community, first, last, ids)
            answers.update({(cid, first, last): e for cid, e in found.items()})
        return [answers[key] for key in keys]

    async def _last_seen(self, ids: Sequence[int]) -> list[datetime | None]:
        seen = await last_seen(self.community, list(ids))
        return [seen[i] for i in ids]

    async def _member_counts(self, ids: Sequence[int]) -> list[int]:
        rows = await fetch(
            "SELECT company_id, COUNT(*) AS n FROM member WHERE community_id = ?"
            f" AND company_id IN ({', '.join('?' for _ in ids)}) GROUP BY company_id",
            [self.community.id, *ids],
        )
        counts = {row["company_id"]: row["n"] for row in rows}
        return [counts.get(i, 0) for i in ids]

    async def _domains(self, ids: Sequence[int]) -> list[list[str]]:
        rows = (
            await CompanyDomain.filter(
                community_id=self.community.id, company_id__in=list(ids)
            )
            .order_by("domain")
            .values_list("company_id", "domain")
        )
        found: dict[int, list[str]] = defaultdict(list)
        for company_id, domain in rows:
            found[company_id].append(domain)
        return [found.get(i, []) for i in ids]

    async def _periods(
        self, ids: Sequence[int]
    ) -> list[list[tuple[datetime | None, datetime | None]]]:
        rows = await CustomerPeriod.filter(
            community_id=self.community.id, company_id__in=list(ids)
        ).values_list("company_id", "starts_at", "ends_at")
        found: dict[int, list] = defaultdict(list)
        for company_id, starts, ends in rows:
            found[company_id].append((starts, ends))
        # Oldest first, "since before any record" (null) first, on every database.
        for periods in found.values():
            periods.sort(key=lambda period: (period[0] is not None, period[0]))
        return [found.get(i, []) for i in ids]


def is_customer_now(periods: list[tuple[datetime | None, datetime | None]]) -> bool:
    now = datetime.now(UTC)
    return any(
        (start is None or start <= now) and (end is None or end > now)
        for start, end in periods
    )


async def member_page(
    community: Community, company_id: int, limit: int, after: int | None
) -> list[Member]:
    query = Member.filter(community_id=community.id, company_id=company_id)
    if after is not None:
        query = query.filter(id__gt=after)
    return await query.order_by("id").limit(limit + 1)
