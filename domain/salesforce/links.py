"""Members linked from Salesforce data: by contact e-mail, by e-mail domain, by merge.

A manual link is never touched (``link_members`` refuses to replace one with
an automatic link). A contact's account beats an e-mail domain. When the
evidence for an automatic link disappears (the contact was deleted) the link
stays, so the company's past activity is not rewritten; new evidence moves it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from domain.companies import normalize_domain
from domain.errors import DomainError
from domain.members import link_members
from domain.models import (
    CompanyDomain,
    LinkSource,
    Member,
    SalesforceAccount,
    SalesforceContact,
)

log = logging.getLogger(__name__)

FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk",
        "live.com", "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com",
        "yandex.ru", "zoho.com", "qq.com", "163.com", "fastmail.com", "tutanota.com",
    }
)  # fmt: skip
BATCH = 1000
_RANK = {None: 0, LinkSource.EMAIL_DOMAIN: 1, LinkSource.CRM_CONTACT: 2}
Target = tuple[int, LinkSource]


def email_domain(email: str) -> str | None:
    """The web domain of an address, unless it is a free-mail one."""
    try:
        domain = normalize_domain(email.rsplit("@", 1)[-1])
    except DomainError:
        return None
    return None if domain in FREE_MAIL else domain


async def account_companies(community_id: int) -> dict[str, int]:
    """Each account id's company; a merged-away account's is its survivor's."""
    rows = await SalesforceAccount.filter(community_id=community_id).values_list(
        "account_id", "company_id", "is_deleted", "master_record_id"
    )
    direct = {account: company for account, company, _, _ in rows}
    masters = {
        account: master for account, _, deleted, master in rows if deleted and master
    }
    resolved = dict(direct)
    for account in masters:
        survivor, hops = masters[account], 0
        while survivor in masters and hops < 10:
            survivor, hops = masters[survivor], hops + 1
        if survivor in direct:
            resolved[account] = direct[survivor]
    return resolved


async def fold_merged_members(community_id: int) -> list[int]:
    """Move the members of merged-away accounts to the survivors; their ids."""
    rows = await SalesforceAccount.filter(
        community_id=community_id, is_deleted=True, master_record_id__not_isnull=True
    ).values_list("account_id", "company_id")
    if not rows:
        return []
    survivors = await account_companies(community_id)
    moves = {company: survivors[account] for account, company in rows}
    moves = {loser: winner for loser, winner in moves.items() if loser != winner}
    members = await Member.filter(
        community_id=community_id, company_id__in=list(moves)
    ).values_list("external_id", "company_id", "link_source")

    wanted: dict[LinkSource, list[tuple[str, int | None]]] = defaultdict(list)
    for external_id, company_id, source in members:
        wanted[LinkSource(source or LinkSource.MANUAL)].append(
            (external_id, moves[company_id])
        )
    return await _apply(community_id, wanted)


async def link_members_by_email(community_id: int, by_domain: bool) -> list[int]:
    """Link members to their contact's company (or e-mail domain's); changed ids."""
    by_email = await _contact_targets(community_id)
    by_web = await _domain_targets(community_id) if by_domain else {}
    members = await Member.filter(
        community_id=community_id, email__not_isnull=True
    ).values_list("external_id", "email", "company_id", "link_source")

    wanted: dict[LinkSource, list[tuple[str, int | None]]] = defaultdict(list)
    for external_id, email, company_id, source in members:
        current = LinkSource(source) if source else None
        if current is LinkSource.MANUAL and company_id is not None:
            continue
        target = _target(email, by_email, by_web)
        if target is None or (company_id, current) == target:
            continue
        if company_id is not None and _RANK[current] > _RANK[target[1]]:
            continue
        wanted[target[1]].append((external_id, target[0]))
    return await _apply(community_id, wanted)


def _target(
    email: str, by_email: dict[str, int | None], by_web: dict[str, int | None]
) -> Target | None:
    address = email.strip().lower()
    company = by_email.get(address)
    if company is not None:
        return company, LinkSource.CRM_CONTACT
    domain = email_domain(address) if by_web else None
    company = by_web.get(domain) if domain else None
    return (company, LinkSource.EMAIL_DOMAIN) if company is not None else None


async def _contact_targets(community_id: int) -> dict[str, int | None]:
    """Each contact e-mail's company; None when contacts disagree on it."""
    companies = await account_companies(community_id)
    rows = await SalesforceContact.filter(
        community_id=community_id, is_deleted=False, email__not_isnull=True
    ).values_list("email", "account_id")
    return _unique(
        (email, companies.get(account))
        for email, account in rows
        if account in companies
    )


async def _domain_targets(community_id: int) -> dict[str, int | None]:
    rows = await CompanyDomain.filter(community_id=community_id).values_list(
        "domain", "company_id"
    )
    return _unique(rows)


def _unique(pairs: Iterable[tuple[str, int | None]]) -> dict[str, int | None]:
    found: dict[str, set[int | None]] = defaultdict(set)
    for key, value in pairs:
        found[key].add(value)
    return {
        key: next(iter(values)) if len(values) == 1 else None
        for key, values in found.items()
    }


async def _apply(
    community_id: int, wanted: dict[LinkSource, list[tuple[str, int | None]]]
) -> list[int]:
    changed: list[int] = []
    for source, links in wanted.items():
        for start in range(0, len(links), BATCH):
            changes = await link_members(
                community_id, links[start : start + BATCH], source
            )
            changed += [c.member.id for c in changes if c.needs_attribution]
    if changed:
        log.info("salesforce.links.changed", extra={"members": len(changed)})
    return changed
