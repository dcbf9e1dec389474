"""The CSV company import, its status history, and the metrics that follow.

The community is in America/New_York: a date means local midnight, 05:00 UTC
in winter (EST) and 04:00 UTC in summer (EDT).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain import csv_import
from domain.csv_import import import_companies_csv
from domain.db import fetch
from domain.errors import DomainError
from domain.metrics import monthly_activity
from domain.models import Company, CompanyStatusChange, CustomerPeriod
from domain.status_history import (
    StatusChange,
    periods_from_changes,
    record_status_changes,
    status_change,
)
from tests import factories as f

HEADER = "crm_id,name,status,effective_at,domains\n"
HISTORY = HEADER + (
    "acme,Acme,customer,,acme.com\n"
    "beta,Beta,customer,,beta.io\n"
    "beta,Beta,churned,2024-03-01,beta.io\n"
    "hotel,Hotel Inc,customer,2024-03-05T09:30:00-05:00,hotel.com www.hotel-inc.com\n"
    "hotel,Hotel,customer,,hotel.com\n"
    "hotel,Hotel,churned,2024-01-10,hotel.com\n"
    "gamma,Gamma,prospect,,\n"
    "gamma,Gamma,customer,2024-07-15,gamma.dev\n"
)
STORED_TABLES = (
    "company",
    "company_domain",
    "company_status_change",
    "customer_period",
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
async def community(db):
    return await f.community("America/New_York")


async def company_named(community, crm_id: str) -> Company:
    return await Company.get(community_id=community.id, crm_id=crm_id)


async def periods_of(community, crm_id: str) -> list[tuple]:
    company = await company_named(community, crm_id)
    rows = await CustomerPeriod.filter(company_id=company.id)
    periods = [(row.starts_at, row.ends_at) for row in rows]
    return sorted(periods, key=lambda p: p[0] or datetime.min.replace(tzinfo=UTC))


async def statuses_of(community, crm_id: str) -> list[tuple]:
    company = await company_named(community, crm_id)
    rows = await CompanyStatusChange.filter(company_id=company.id)
    changes = [(row.effective_at, row.status, row.is_customer) for row in rows]
    return sorted(changes, key=lambda c: c[0] or datetime.min.replace(tzinfo=UTC))


async def domains_of(community, crm_id: str) -> list[str]:
    company = await company_named(community, crm_id)
    await company.fetch_related("domains")
    return sorted(d.domain for d in company.domains)


async def snapshot() -> dict[str, list[dict]]:
    return {t: await fetch(f"SELECT * FROM {t} ORDER BY id") for t in STORED_TABLES}


# -- a whole history -----------------------------------------------------------


async def test_a_history_gives_the_customer_periods(community):
    report = await import_companies_csv(community, HISTORY)

    assert (report.rows, report.companies_created, report.status_changes) == (8, 4, 8)
    assert report.errors == []
    assert await periods_of(community, "acme") == [(None, None)]
    assert await periods_of(community, "beta") == [(None, utc("2024-03-01T05:00"))]
    assert await periods_of(community, "hotel") == [
        (None, utc("2024-01-10T05:00")),
        (utc("2024-03-05T14:30"), None),
    ]
    assert await periods_of(community, "gamma") == [(utc("2024-07-15T04:00"), None)]


async def test_name_and_domains_come_from_the_latest_row(community):
    await import_companies_csv(community, HISTORY)

    hotel = await company_named(community, "hotel")

    assert hotel.name == "Hotel Inc"
    assert await domains_of(community, "hotel") == ["hotel-inc.com", "hotel.com"]
    assert await statuses_of(community, "gamma") == [
        (None, "prospect", False),
        (utc("2024-07-15T04:00"), "customer", True),
    ]


async def test_importing_the_same_file_twice_changes_nothing(community):
    await import_companies_csv(community, HISTORY)
    before = await snapshot()

    again = await import_companies_csv(community, HISTORY)

    assert await snapshot() == before
    assert (again.companies_created, again.companies_updated) == (0, 0)
    assert (again.companies_unchanged, again.status_changes) == (4, 0)
    assert len(before["company_status_change"]) == 8


async def test_a_later_file_merges_into_the_history(community):
    await import_companies_csv(community, HISTORY)
    later = HEADER + (
        "beta,Beta,customer,2024-03-01,beta.io\n"  # replaces the churn at that instant
        "acme,Acme,churned,2024-05-01T04:00:00Z,acme.com\n"
    )

    report = await import_companies_csv(community, later)

    assert (report.companies_updated, report.status_changes) == (2, 2)
    assert await periods_of(community, "beta") == [(None, None)]
    assert await periods_of(community, "acme") == [(None, utc("2024-05-01T04:00"))]
    assert [s[1] for s in await statuses_of(community, "beta")] == [
        "customer",
        "customer",
    ]


async def test_status_is_case_insensitive(community):
    text = HEADER + (
        "acme,Acme,CUSTOMER,,\nacme,Acme,Churned,2024-02-01,\n"
        "acme,Acme,cUsToMeR,2024-11-03,\n"  # the day summer time ends: EDT midnight
    )

    await import_companies_csv(community, text)

    assert await statuses_of(community, "acme") == [
        (None, "customer", True),
        (utc("2024-02-01T05:00"), "churned", False),
        (utc("2024-11-03T04:00"), "customer", True),
    ]
    assert await periods_of(community, "acme") == [
        (None, utc("2024-02-01T05:00")),
        (utc("2024-11-03T04:00"), None),
    ]


# -- domains named once ------------------------------------------------------------

README_EXAMPLE = HEADER + (
    "A-17,Acme Corp,customer,,acme.example www.acme.example\n"
    "A-17,Acme Corp,churned,2024-08-12,\n"
    "A-17,Acme Corp,customer,2025-01-03,\n"
)


@pytest.mark.parametrize("order", ["as-written", "newest-first"])
async def test_the_readme_example_keeps_the_domains_of_its_first_row(community, order):
    """Empty cells on later rows keep the domains; the file's order is no matter."""
    header, *rows = README_EXAMPLE.splitlines(keepends=True)
    text = header + "".join(rows if order == "as-written" else rows[::-1])

    report = await import_companies_csv(community, text)

    assert report.errors == []
    assert await domains_of(community, "A-17") == ["acme.example"]
    assert await periods_of(community, "A-17") == [
        (None, utc("2024-08-12T04:00")),  # EDT midnight
        (utc("2025-01-03T05:00"), None),  # EST midnight
    ]


async def test_an_empty_cell_keeps_the_domains_of_an_earlier_import(community):
    await import_companies_csv(community, README_EXAMPLE)
    later = HEADER + "A-17,Acme Corp,churned,2025-06-01,\n"

    again = await import_companies_csv(community, README_EXAMPLE)
    report = await import_companies_csv(community, later)

    assert (again.companies_unchanged, again.companies_updated) == (1, 0)
    assert (report.companies_updated, report.status_changes) == (1, 1)
    assert await domains_of(community, "A-17") == ["acme.example"]


async def test_a_non_empty_cell_replaces_the_domains(community):
    await import_companies_csv(community, README_EXAMPLE)
    later = HEADER + (
        "A-17,Acme Corp,customer,2025-01-03,\n"
        "A-17,Acme Corp,churned,2025-06-01,acme.io\n"
        "A-17,Acme Corp,customer,2025-09-01,\n"
    )

    report = await import_companies_csv(community, later)

    assert report.companies_updated == 1
    assert await domains_of(community, "A-17") == ["acme.io"]


async def test_a_cell_no_column_can_hold_is_a_bad_row(community):
    text = HEADER + (
        "acme,Ac\x00me,customer,,\n"
        "beta,Beta,cust\ud800,,\n"  # a lone surrogate, as a JSON escape can carry
        "gamma,Gamma,customer,,\n"
    )

    report = await import_companies_csv(community, text)

    assert report.errors == [
        (2, "name", "must not contain the NUL character (\\u0000)"),
        (3, "status", "must not contain a lone UTF-16 surrogate"),
    ]
    crm_ids = await Company.filter(community_id=community.id).values_list("crm_id")
    assert crm_ids == [("gamma",)]


# -- bad input -------------------------------------------------------------------


BAD_ROWS = HEADER + (
    "acme,Acme,customer,,acme.com\n"  # line 2
    "beta,Beta,customer,2024-13-01,\n"
    "gamma,Gamma,customer,2024-03-01T10:00,\n"
    "delta,,customer,,\n"
    "echo,Echo,customer,,not_a_domain\n"
    "foxtrot,Foxtrot,customer,2024-02-01,foxtrot.com\n"
    "golf,Golf,customer\n"
    ",Hotel,,,\n"  # line 9
)


async def test_bad_rows_are_reported_and_good_rows_kept(community):
    report = await import_companies_csv(community, BAD_ROWS)

    assert [(e.line, e.field) for e in report.errors] == [
        (3, "effective_at"),
        (4, "effective_at"),
        (5, "name"),
        (6, "domains"),
        (8, "row"),
        (9, "crm_id"),
        (9, "status"),
    ]
    assert "time zone offset" in report.errors[1].reason
    assert "not a web domain" in report.errors[3].reason
    assert (report.rows, report.bad_rows, report.companies_created) == (8, 6, 2)
    names = await Company.filter(community_id=community.id).values_list("name")
    assert sorted(n for (n,) in names) == ["Acme", "Foxtrot"]
    assert await periods_of(community, "foxtrot") == [(utc("2024-02-01T05:00"), None)]


async def test_two_statuses_at_one_instant_conflict(community):
    text = HEADER + (
        "acme,Acme,customer,2024-03-01,\n"
        "acme,Acme,churned,2024-03-01T05:00:00Z,\n"  # the same instant
        "acme,Acme,customer,2024-03-01,\n"  # a repeat is fine
    )

    report = await import_companies_csv(community, text)

    assert [(e.line, e.field) for e in report.errors] == [(3, "effective_at")]
    assert "line 2" in report.errors[0].reason
    assert await periods_of(community, "acme") == [(utc("2024-03-01T05:00"), None)]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("crm_id,name,status,effective_at\n", "missing column 'domains'"),
        ("crm_id,name,status,effective_at,domains,owner\n", "unknown column 'owner'"),
        ("crm_id,name,status,status,effective_at,domains\n", "duplicate column"),
        ("", "the file is empty"),
    ],
)
async def test_a_bad_header_stops_the_import(community, header, problem):
    text = header + "acme,Acme,customer,,acme.com,\n" if header else header

    with pytest.raises(DomainError) as raised:
        await import_companies_csv(community, text)

    assert raised.value.field == "header"
    assert problem in raised.value.message
    assert await Company.filter(community_id=community.id).count() == 0


async def test_columns_may_come_in_any_order_and_case(community):
    text = "Domains,STATUS,name,crm_id,effective_at\nacme.com,customer,Acme,acme,\n"

    report = await import_companies_csv(community, text)

    assert report.errors == []
    assert await domains_of(community, "acme") == ["acme.com"]


async def test_bom_crlf_and_quoted_fields(community):
    text = (
        "\ufeffcrm_id,name,status,effective_at,domains\r\n"
        '"acme","Acme, Inc.",customer,,"acme.com acme.io"\r\n'
        '"beta","Beta\r\nLabs",customer,,\r\n'  # lines 3 and 4
        "bad,Bad,customer,yesterday,\r\n"  # line 5
    )

    report = await import_companies_csv(community, text)

    assert (await company_named(community, "acme")).name == "Acme, Inc."
    assert await domains_of(community, "acme") == ["acme.com", "acme.io"]
    assert (await company_named(community, "beta")).name == "Beta\r\nLabs"
    assert [(e.line, e.field) for e in report.errors] == [(5, "effective_at")]


async def test_lines_stream_in_and_progress_is_reported(community, monkeypatch):
    monkeypatch.setattr(csv_import, "BATCH_COMPANIES", 3)
    calls: list[tuple[int, int]] = []

    report = await import_companies_csv(
        community,
        HISTORY.splitlines(keepends=True),
        progress=lambda *a: calls.append(a),
    )

    assert report.companies_created == 4
    assert calls == [(3, 4), (4, 4)]


async def test_a_company_failing_to_save_leaves_no_trace(community, monkeypatch):
    real = csv_import.record_status_changes

    async def failing_for_beta(company, changes):
        if company.crm_id == "beta":
            raise DomainError("status", "refused")
        return await real(company, changes)

    monkeypatch.setattr(csv_import, "record_status_changes", failing_for_beta)

    report = await import_companies_csv(community, HISTORY)

    assert report.errors == [(4, "status", "refused")]
    assert report.companies_created == 3
    crm_ids = await Company.filter(community_id=community.id).values_list("crm_id")
    assert sorted(c for (c,) in crm_ids) == ["acme", "gamma", "hotel"]


# -- the metrics follow ------------------------------------------------------------


async def test_monthly_totals_follow_the_history(community):
    await import_companies_csv(community, HISTORY)

    months = await monthly_activity(community, date(2024, 1, 1), date(2024, 7, 1))

    # Beta's period ends exactly at March's start; Hotel is away in February.
    assert [(m.month.month, m.total, m.active) for m in months] == [
        (1, 3, 0),  # Acme, Beta, Hotel
        (2, 2, 0),  # Acme, Beta
        (3, 2, 0),  # Acme, Hotel
        (4, 2, 0),
        (5, 2, 0),
        (6, 2, 0),
        (7, 3, 0),  # Gamma joins on 15 July
    ]


# -- the status history on its own --------------------------------------------------


def test_periods_from_changes():
    changes = [
        status_change("customer", utc("2024-05-01T00:00")),
        status_change("prospect", None),
        status_change("Customer", utc("2024-01-01T00:00")),
        status_change("customer", utc("2024-02-01T00:00")),  # already a customer
        status_change("churned", utc("2024-03-01T00:00")),
        status_change("lost", utc("2024-04-01T00:00")),  # already gone
    ]

    periods = periods_from_changes(changes)

    assert periods == [
        (utc("2024-01-01T00:00"), utc("2024-03-01T00:00")),
        (utc("2024-05-01T00:00"), None),
    ]
    assert periods_from_changes([]) == []
    assert periods_from_changes([status_change("customer", None)]) == [(None, None)]


async def test_recording_replaces_a_status_at_the_same_instant(community):
    company = await f.company(community, "Acme", periods=[])
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    await record_status_changes(company, [status_change("customer", None)])

    update = await record_status_changes(
        company, [status_change("churned", None), status_change("customer", start)]
    )

    assert (update.stored, update.periods_changed) == (2, True)
    assert await statuses_of(community, company.crm_id) == [
        (None, "churned", False),
        (start, "customer", True),
    ]
    assert await periods_of(community, company.crm_id) == [(start, None)]


async def test_recording_needs_an_offset(community):
    company = await f.company(community, "Acme", periods=[])
    naive = StatusChange(datetime(2024, 1, 1), "customer", True)

    with pytest.raises(DomainError) as raised:
        await record_status_changes(company, [naive])

    assert raised.value.field == "effectiveAt"
    assert await CompanyStatusChange.all().count() == 0


# -- the command line ------------------------------------------------------------


def engagement(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``engagement`` command of this environment on its own database."""
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}"}
    command = [str(Path(sys.executable).parent / "engagement"), *args]
    return subprocess.run(
        command, env=env, cwd=database.parent, capture_output=True, text=True
    )


def test_the_import_command(tmp_path):
    database = tmp_path / "cli.sqlite3"
    created = engagement(database, "community", "create", "Cli", "--timezone", "UTC")
    community_id = created.stdout.split("community id: ")[1].split()[0]
    csv_file = tmp_path / "companies.csv"
    csv_file.write_text(HEADER + "acme,Acme,customer,,\nbeta,Beta,customer,soon,\n")

    result = engagement(
        database, "import", "companies", str(csv_file), "--community", community_id
    )

    assert result.returncode == 1, result.stderr
    assert "line 3: effective_at: 'soon' is not an ISO date" in result.stderr
    assert "1 company created" in result.stdout
    assert "1 bad row skipped" in result.stdout
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT starts_at, ends_at FROM customer_period").fetchall()
    assert rows == [(None, None)]
