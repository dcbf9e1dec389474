"""Contacts: members linked by e-mail to their account's company; manual links win."""

from __future__ import annotations

from domain.members import link_member
from domain.models import Company, LinkSource, Member
from domain.salesforce_ids import canonical_id
from tests import factories as f
from tests.salesforce.conftest import connect, sync


async def member(community, external_id: str, email: str | None = None) -> Member:
    """A member with an e-mail, not linked."""
    await link_member(community.id, external_id, None, LinkSource.MANUAL)
    await Member.filter(community_id=community.id, external_id=external_id).update(
        email=email
    )
    return await Member.get(community_id=community.id, external_id=external_id)


async def linked(community, external_id: str) -> tuple[int | None, LinkSource | None]:
    found = await Member.get(community_id=community.id, external_id=external_id)
    return found.company_id, found.link_source


async def company_id(community, account_id: str) -> int:
    row = await Company.get(community_id=community.id, crm_id=canonical_id(account_id))
    return row.id


async def test_members_are_linked_to_their_contacts_company_by_email(connected, org):
    acme = org.add_account("Acme", "Customer")
    org.add_contact("Jane.Doe@Acme.com", acme)
    jane = await member(connected, "jane", "jane.doe@acme.com")
    await member(connected, "stranger", "who@else.org")

    report = await sync(connected)

    assert await linked(connected, "jane") == (
        await company_id(connected, acme),
        LinkSource.CRM_CONTACT,
    )
    assert await linked(connected, "stranger") == (None, None)
    assert report.relinked_members == [jane.id]


async def test_a_manual_link_survives_a_contact_pointing_elsewhere(connected, org):
    acme = org.add_account("Acme", "Customer")
    beta = org.add_account("Beta", "Customer")
    org.add_contact("jane@acme.com", acme)
    await sync(connected)
    beta_company = await Company.get(crm_id=canonical_id(beta))
    await member(connected, "jane", "jane@acme.com")
    await f.link(connected, "jane", beta_company)

    report = await sync(connected)

    assert await linked(connected, "jane") == (beta_company.id, LinkSource.MANUAL)
    assert report.relinked_members == []


async def test_a_contact_moving_account_moves_its_member(connected, org):
    acme = org.add_account("Acme", "Customer")
    beta = org.add_account("Beta", "Customer")
    contact = org.add_contact("jane@acme.com", acme)
    await member(connected, "jane", "jane@acme.com")
    await sync(connected)

    org.update(contact, AccountId=beta)
    await sync(connected)

    assert (await linked(connected, "jane"))[0] == await company_id(connected, beta)


async def test_email_domain_linking_is_opt_in_and_skips_free_mail(connected, org):
    org.add_account("Acme", "Customer", Website="acme.com")
    org.add_account("Mail", "Customer", Website="https://gmail.com")
    await member(connected, "bob", "bob@acme.com")
    await member(connected, "ann", "ann@gmail.com")
    await sync(connected)
    assert await linked(connected, "bob") == (None, None)

    await connect(connected, org, link_by_email_domain=True)
    await sync(connected)

    acme_id = (await Company.get(community_id=connected.id, name="Acme")).id
    assert await linked(connected, "bob") == (acme_id, LinkSource.EMAIL_DOMAIN)
    assert await linked(connected, "ann") == (None, None)


async def test_a_contact_beats_an_email_domain(connected, org):
    await connect(connected, org, link_by_email_domain=True)
    acme = org.add_account("Acme", "Customer", Website="acme.com")
    reseller = org.add_account("Reseller", "Partner")
    await member(connected, "bob", "bob@acme.com")
    await sync(connected)

    org.add_contact("bob@acme.com", reseller)
    await sync(connected)

    assert await linked(connected, "bob") == (
        await company_id(connected, reseller),
        LinkSource.CRM_CONTACT,
    )
    assert acme
