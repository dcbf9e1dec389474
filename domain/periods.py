"""Calendar periods in a community's time zone, and their UTC bounds.

Every period is half-open in UTC, ``[start, end)``: January in America/New_York
is ``[2024-01-01T05:00Z, 2024-02-01T05:00Z)``. Both databases only ever compare
UTC instants and local calendar dates, so they agree, DST included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import DomainError, ErrorCode

MAX_RANGE_YEARS = 5
MAX_RANGE_MONTHS = MAX_RANGE_YEARS * 12
# Reports cover the years a community can have data for; outside them a range
# would only reach the calendar's ends (the year 9999 plus five is no date).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
_MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_zone(name: str, field: str = "timezone") -> ZoneInfo:
    """Resolve an IANA time zone name, or fail naming the field."""
    if not name or name not in _zone_names():
        raise DomainError(field, f"unknown time zone {name!r}; use an IANA name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(field, f"unknown time zone {name!r}") from exc


def _zone_names() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones() | {"UTC"}
    return _ZONES


_ZONES: set[str] | None = None


def parse_month(value: str, field: str = "month") -> date:
    """Parse ``YYYY-MM`` into the first day of that month."""
    match = _MONTH_PATTERN.match(value or "")
    if not match:
        raise DomainError(field, f"{value!r} is not a month; expected YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 1:
        raise DomainError(field, f"{value!r} is not a month; expected YYYY-MM")
    return date(year, month, 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    if month.month == 12:
        return date(month.year + 1, 1, 1)
    return date(month.year, month.month + 1, 1)


def last_day_of_month(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last``, both included."""
    months = []
    month = month_of(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``zone``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date of ``instant`` in ``zone``."""
    return instant.astimezone(zone).date()


def validate_window(first: date, last: date) -> None:
    """Both ends of a range lie between ``FIRST_DAY`` and ``LAST_DAY``."""
    for field, day in (("from", first), ("to", last)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise DomainError(
                field,
                f"{day.isoformat()} is not in the years {FIRST_DAY.year} to"
                f" {LAST_DAY.year}",
                ErrorCode.OUT_OF_RANGE,
            )


def validate_month_range(first: date, last: date) -> None:
    validate_window(first, last)
    if first > last:
        raise DomainError("from", "must not be after 'to'", ErrorCode.OUT_OF_RANGE)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_RANGE_MONTHS:
        raise DomainError(
            "to",
            f"a range spans at most {MAX_RANGE_MONTHS} months",
            ErrorCode.OUT_OF_RANGE,
        )


def validate_date_range(first: date, last: date) -> None:
    validate_window(first, last)
    if first > last:
        raise DomainError("from", "must not be after 'to'", ErrorCode.OUT_OF_RANGE)
    limit = _add_years(first, MAX_RANGE_YEARS)
    if last >= limit:
        raise DomainError(
            "to",
            f"a range spans at most {MAX_RANGE_YEARS} years",
            ErrorCode.OUT_OF_RANGE,
        )


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of local calendar dates, cut for the rollups.

    ``full_months`` are the months the range covers completely; ``partial_days``
    are the remaining stretches at its edges, as inclusive (first, last) dates.
    """

    first: date
    last: date
    full_months: tuple[date, ...]
    partial_days: tuple[tuple[date, date], ...]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return day_start(self.first, zone), day_start(
            self.last + timedelta(days=1), zone
        )


def split_range(first: date, last: date) -> DateRange:
    """Cut ``[first, last]`` into whole months and the days around them."""
    validate_date_range(first, last)
    full: list[date] = []
    partial: list[tuple[date, date]] = []
    for month in months_between(first, last):
        start = max(first, month)
        end = min(last, last_day_of_month(month))
        if start == month and end == last_day_of_month(month):
            full.append(month)
        else:
            partial.append((start, end))
    return DateRange(first, last, tuple(full), tuple(partial))
