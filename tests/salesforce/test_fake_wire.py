"""The fake answers simple-salesforce's replication calls in Salesforce's shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from demo.salesforce_fake import TOKEN, FakeSalesforce
from domain.salesforce.client import ConnectionSession, ca_file_for


def client(org: FakeSalesforce) -> Salesforce:
    return Salesforce(
        instance_url=org.url,
        session_id=TOKEN,
        version="59.0",
        session=ConnectionSession(ca_file_for(org.ca_pem())),
    )


def test_get_updated_and_get_deleted_name_the_records_in_the_window(org):
    before = org.add_account("Before", "Customer")
    start = org.tick()
    edited = org.add_account("Edited", "Customer")
    gone = org.add_account("Gone", "Customer")
    org.delete(gone)
    end = org.tick()
    org.add_account("After", "Customer")
    accounts = client(org).Account

    updated = accounts.updated(start, end)
    deleted = accounts.deleted(start, end)

    assert updated["ids"] == [edited]
    assert before not in updated["ids"]
    assert [record["id"] for record in deleted["deletedRecords"]] == [gone]
    assert deleted["deletedRecords"][0]["deletedDate"].endswith("+0000")
    assert deleted["latestDateCovered"].startswith(f"{end:%Y-%m-%dT%H:%M:%S}")
    assert accounts.api_usage["api-usage"].used == org.api_used == 2


def test_get_deleted_refuses_a_window_older_than_fifteen_days(org):
    org.tick(seconds=40 * 86_400)
    sf = client(org)

    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.deleted(org.clock - timedelta(days=16), org.clock)

    assert raised.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
