"""The schema's own scalars: ``Month`` ("YYYY-MM"); Date and DateTime are ISO."""

from __future__ import annotations

from datetime import date
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from domain.errors import DomainError
from domain.periods import format_month, parse_month


def _parse_month(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("a Month is a string like 2024-01")
    try:
        return parse_month(value)
    except DomainError as error:
        raise ValueError(error.message) from None


Month = NewType("Month", date)

SCALARS: dict[object, ScalarDefinition] = {
    Month: strawberry.scalar(
        name="Month",
        description="A calendar month in the community's time zone, as YYYY-MM.",
        serialize=format_month,
        parse_value=_parse_month,
    ),
}
