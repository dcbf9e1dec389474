"""Companies and their status history from a CSV file, for any CRM but Salesforce.

One row per status change, under the header ``crm_id,name,status,effective_at,
domains``. ``status`` is ``customer`` or any other word, in any case;
``effective_at`` is an ISO date (the start of that day in the community's time
zone), an ISO date-time with an offset, or empty for "held since before any
record"; ``domains`` is space-separated, and an empty cell keeps the domains
the company already has. A whole history loads at once, and importing the same
file again changes nothing. Bad rows are reported with their line number (the
header is line 1) and skipped; the good rows are kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from domain.communities import zone_of
from domain.companies import normalize_crm_id, normalize_domain, save_company
from domain.db import write_transaction
from domain.errors import DomainError
from domain.models import Community, Company, CompanyDomain, CrmSource
from domain.periods import day_start
from domain.status_history import (
    StatusChange,
    StatusUpdate,
    record_status_changes,
    status_change,
)
from domain.text import check_storable

HEADER = ("crm_id", "name", "status", "effective_at", "domains")
MAX_NAME_LENGTH = 255
# Companies written per transaction; each has a savepoint of its own in it.
BATCH_COMPANIES = 100
_BEFORE_ANY_RECORD = datetime.min.replace(tzinfo=UTC)
T = TypeVar("T")

# Called with (companies done, companies in the file) after each batch.
Progress = Callable[[int, int], None]


class RowError(NamedTuple):
    """A bad row: its line in the file, the column at fault and why."""

    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import did, and the rows it had to skip."""

    rows: int = 0
    companies_created: int = 0
    companies_updated: int = 0
    companies_unchanged: int = 0
    status_changes: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({error.line for error in self.errors})


@dataclass(frozen=True)
class _Row:
    line: int
    crm_id: str
    name: str
    change: StatusChange
    domains: frozenset[str]


async def import_companies_csv(
    community: Community,
    text_or_lines: str | Iterable[str],
    progress: Progress | None = None,
) -> ImportReport:
    """Import companies and their status changes from CSV text or lines.

    The input is read as a stream, but its rows are grouped by company in
    memory before anything is written: fine for files up to ~100k rows.
    Companies are written ``BATCH_COMPANIES`` to a transaction, each under a
    savepoint of its own, so none is ever half-written. A bad header raises a
    DomainError before anything is written. ``progress`` is called per batch.
    """
    report = ImportReport()
    groups = _read(text_or_lines, zone_of(community), report)
    # In crm_id order, so that concurrent imports lock companies in one order.
    companies = [groups[crm_id] for crm_id in sorted(groups)]
    for first in range(0, len(companies), BATCH_COMPANIES):
        batch = companies[first : first + BATCH_COMPANIES]
        async with write_transaction(community.id):
            for rows in batch:
                await _import_company(community, rows, report)
        if progress is not None:
            progress(first + len(batch), len(companies))
    report.errors.sort(key=lambda error: error.line)
    return report


# -- reading -----------------------------------------------------------------


def _lines(text_or_lines: str | Iterable[str]) -> Iterator[str]:
    """The input's lines, line endings kept for the csv module, BOM dropped."""
    if isinstance(text_or_lines, str):
        lines: Iterator[str] = io.StringIO(text_or_lines, newline="")
    else:
        lines = iter(text_or_lines)
    first = next(lines, None)
    if first is not None:
        yield first.removeprefix("\ufeff")
        yield from lines


def _read(
    text_or_lines: str | Iterable[str], zone: ZoneInfo, report: ImportReport
) -> dict[str, list[_Row]]:
    """Parse every row, reporting bad ones, and group the good ones by company."""
    reader = csv.reader(_lines(text_or_lines), strict=True)
    columns = check_header(next(reader, None))
    groups: dict[str, list[_Row]] = {}
    seen: dict[tuple[str, datetime | None], _Row] = {}
    for line, cells in _records(reader, report):
        report.rows += 1
        row = _parse_row(line, cells, columns, zone, report)
        if row is None or _conflicts(row, seen, report):
            continue
        groups.setdefault(row.crm_id, []).append(row)
    return groups


def _records(
    reader: Iterator[list[str]], report: ImportReport
) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the file line it starts on."""
    line_num = 1
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.rows += 1
            report.errors.append(RowError(start, "row", f"not valid CSV: {error}"))
            cells = []
        finally:
            line_num = reader.line_num  # type: ignore[attr-defined]
        if any(cell.strip() for cell in cells):
            yield start, cells


def check_header(cells: list[str] | None) -> dict[str, int]:
    """Map each column to its position, or fail naming what is wrong."""
    expected = ",".join(HEADER)
    if not cells:
        raise DomainError("header", f"the file is empty; expected {expected}")
    names = [cell.strip().lower() for cell in cells]
    problems = [f"missing column {name!r}" for name in HEADER if name not in names]
    problems += [f"unknown column {name!r}" for name in names if name not in HEADER]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    problems += [f"duplicate column {name!r}" for name in duplicated]
    if problems:
        raise DomainError("header", f"{'; '.join(problems)}; expected {expected}")
    return {name: names.index(name) for name in HEADER}


def _parse_row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    zone: ZoneInfo,
    report: ImportReport,
) -> _Row | None:
    """The row's values, or None after reporting every column at fault."""
    if len(cells) != len(columns):
        reason = f"has {len(cells)} fields; expected {len(columns)}"
        report.errors.append(RowError(line, "row", reason))
        return None
    value = {name: cells[index] for name, index in columns.items()}
    errors = _unstorable(line, value)
    if errors:
        report.errors.extend(errors)
        return None
    crm_id = _attempt(
        lambda: normalize_crm_id(CrmSource.CSV, value["crm_id"], "crm_id"), line, errors
    )
    name = _attempt(lambda: _parse_name(value["name"]), line, errors)
    change = _attempt(lambda: status_change(value["status"], None), line, errors)
    effective_at = _attempt(
        lambda: parse_effective_at(value["effective_at"], zone), line, errors
    )
    domains = _attempt(lambda: _parse_domains(value["domains"]), line, errors)
    report.errors.extend(errors)
    if errors or crm_id is None or name is None or change is None or domains is None:
        return None
    return _Row(line, crm_id, name, replace(change, effective_at=effective_at), domains)


def _unstorable(line: int, value: dict[str, str]) -> list[RowError]:
    """A row error per cell holding what no text column can store."""
    errors: list[RowError] = []
    for name, cell in value.items():
        try:
            check_storable(cell, name)
        except DomainError as error:
            errors.append(RowError(line, error.field, error.message))
    return errors


def _attempt(parse: Callable[[], T], line: int, errors: list[RowError]) -> T | None:
    """``parse()``, or None after noting its error against ``line``."""
    try:
        return parse()
    except DomainError as error:
        errors.append(RowError(line, error.field, error.message))
        return None


def _parse_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise DomainError("name", "must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError("name", f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def _parse_domains(text: str) -> frozenset[str]:
    return frozenset(normalize_domain(part, "domains") for part in text.split())


def parse_effective_at(
    text: str, zone: ZoneInfo, field: str = "effective_at"
) -> datetime | None:
    """An ISO date (local midnight) or date-time with offset as UTC; empty: None."""
    text = text.strip()
    if not text:
        return None
    try:
        return day_start(date.fromisoformat(text), zone)
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        reason = f"{text!r} is not an ISO date (2024-03-01) or date-time"
        raise DomainError(field, reason) from None
    if instant.tzinfo is None:
        raise DomainError(field, f"{text!r} must carry a time zone offset")
    return instant.astimezone(UTC)


def _conflicts(
    row: _Row, seen: dict[tuple[str, datetime | None], _Row], report: ImportReport
) -> bool:
    """Report a row giving its company another status at an instant already seen."""
    key = (row.crm_id, row.change.effective_at)
    earlier = seen.setdefault(key, row)
    if earlier.change.status == row.change.status:
        return False
    reason = (
        f"line {earlier.line} gives {row.crm_id!r} the status "
        f"{earlier.change.status!r} at the same instant"
    )
    report.errors.append(RowError(row.line, "effective_at", reason))
    return True


# -- writing -----------------------------------------------------------------


def _latest(rows: list[_Row]) -> _Row:
    """The row whose name the company gets: its latest change."""
    return max(
        rows, key=lambda row: (row.change.effective_at or _BEFORE_ANY_RECORD, row.line)
    )


def _domains(rows: list[_Row]) -> frozenset[str] | None:
    """The latest non-empty domains cell; None when every cell is empty.

    A history names the domains once and leaves them empty on later rows, so
    an empty cell means "unchanged", never "none".
    """
    named = [row for row in rows if row.domains]
    return _latest(named).domains if named else None


async def _import_company(
    community: Community, rows: list[_Row], report: ImportReport
) -> None:
    """Write one company and its changes under one savepoint, and count it."""
    latest = _latest(rows)
    try:
        async with write_transaction(community.id):
            company, created, changed = await _save(community, latest, _domains(rows))
            update = await record_status_changes(company, [r.change for r in rows])
    except DomainError as error:
        report.errors.append(RowError(latest.line, error.field, error.message))
        return
    _count(report, created, changed, update)


async def _save(
    community: Community, row: _Row, domains: frozenset[str] | None
) -> tuple[Company, bool, bool]:
    """Create or update the company; (company, created, name or domains changed).

    ``domains`` None keeps the stored ones.
    """
    company = await Company.get_or_none(
        community_id=community.id, crm_source=CrmSource.CSV, crm_id=row.crm_id
    )
    if company is not None:
        found = await CompanyDomain.filter(company_id=company.id).values_list(
            "domain", flat=True
        )
        stored = frozenset(str(domain) for domain in found)
        domains = stored if domains is None else domains
        if company.name == row.name and stored == domains:
            return company, False, False
    saved = await save_company(
        community.id, CrmSource.CSV, row.crm_id, row.name, sorted(domains or ())
    )
    return saved, company is None, company is not None


def _count(
    report: ImportReport, created: bool, changed: bool, update: StatusUpdate
) -> None:
    report.status_changes += update.stored
    if created:
        report.companies_created += 1
    elif changed or update.stored or update.periods_changed:
        report.companies_updated += 1
    else:
        report.companies_unchanged += 1
