"""``engagement import``: companies from a CRM export, activity from Segment."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from cli.runtime import run
from domain.communities import get_community
from domain.csv_import import ImportReport, import_companies_csv
from domain.ingestion import FileReport, ingest_lines
from workers.queue import drain, enqueue_enrichment

PROGRESS_MIN_COMPANIES = 100


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


class _ProgressBar:
    """A progress bar on stderr, drawn once an import turns out to be big."""

    def __init__(self, label: str, minimum: int = PROGRESS_MIN_COMPANIES) -> None:
        self._label = label
        self._minimum = minimum
        self._stack = contextlib.ExitStack()
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if total < self._minimum:
            return
        if self._bar is None:
            bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
            self._bar = self._stack.enter_context(bar)
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        self._stack.close()


def _print_import_report(report: ImportReport) -> None:
    for error in report.errors:
        click.echo(f"line {error.line}: {error.field}: {error.reason}", err=True)
    click.echo(
        f"read {_plural(report.rows, 'row', 'rows')}: "
        f"{_plural(report.companies_created, 'company', 'companies')} created, "
        f"{report.companies_updated} updated, {report.companies_unchanged} unchanged; "
        f"{_plural(report.status_changes, 'status change', 'status changes')} stored"
    )
    if report.errors:
        click.echo(
            f"{_plural(report.bad_rows, 'bad row', 'bad rows')} skipped (listed on "
            "stderr); the other rows were imported"
        )


@click.group("import")
def import_group() -> None:
    """Import companies from a CRM export, or activity from a Segment export."""


@import_group.command("companies")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "community_id", required=True, type=int, help="Its id.")
def import_companies(file: Path, community_id: int) -> None:
    """Import companies and their status history from a CSV file (UTF-8).

    Header: crm_id,name,status,effective_at,domains. Exits with 1 when some
    rows were bad; the good ones are imported all the same.
    """
    progress = _ProgressBar(f"importing {file.name}")

    async def work() -> ImportReport:
        community = await get_community(community_id)
        with file.open(encoding="utf-8-sig", newline="") as lines:
            return await import_companies_csv(community, lines, progress)

    try:
        report: ImportReport = run(work)
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file}: not UTF-8 text ({error})") from None
    finally:
        progress.close()
    _print_import_report(report)
    if report.errors:
        raise click.exceptions.Exit(1)


@import_group.command("activity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "community_id", required=True, type=int, help="Its id.")
@click.option(
    "--batch-size", default=500, show_default=True, type=click.IntRange(1, 5000)
)
def import_activity(file: Path, community_id: int, batch_size: int) -> None:
    """Import Segment-format events, one JSON object per line.

    Every message id is stored once: running it again, or after an
    interruption, stores only what is missing.
    """

    size = file.stat().st_size

    async def work() -> FileReport:
        community = await get_community(community_id)
        with (
            file.open(encoding="utf-8") as handle,
            click.progressbar(
                length=size,
                label=f"importing {file.name}",
                file=sys.stderr,
            ) as bar,
        ):
            report = await ingest_lines(community, _lines(handle, bar), batch_size)
        changed = [c.member.id for c in report.batches.relinked if c.needs_attribution]
        await enqueue_enrichment(community.id, changed)
        await drain()
        return report

    report: FileReport = run(work)
    _print_activity_report(report)
    if report.bad_lines:
        raise click.exceptions.Exit(1)


def _lines(handle: IO[str], bar: Any) -> Iterator[str]:
    for line in handle:
        bar.update(len(line.encode()))
        yield line


def _print_activity_report(report: FileReport) -> None:
    for number, field, reason in report.bad_lines:
        click.echo(f"line {number}: {field}: {reason}", err=True)
    done = report.batches
    click.echo(
        f"read {_plural(report.lines, 'line', 'lines')}: "
        f"{done.page_views} page views, {done.contributions} contributions, "
        f"{done.identifies} identifies, {done.groups} groups, "
        f"{done.other_events} other events stored; {done.duplicates} already stored"
    )
