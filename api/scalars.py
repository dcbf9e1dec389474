"""The schema's own scalars: ``Month`` ("YYYY-MM"); Date and DateTime are ISO."""

from __future__ import annotations

from datetime import date
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from api.errors import ClientError
from domain.errors import DomainError
from domain.periods import format_month, parse_month


def _parse_month(value: object) -> date:
    # A GraphQLError, not a ValueError: bad input is the client's to fix, so
    # it is neither masked nor logged as a failure of ours.
    if not isinstance(value, str):
        raise ClientError("a Month is a string like 2024-01", "BAD_USER_INPUT")
    try:
        return parse_month(value)
    except DomainError as error:
        raise ClientError(error.message, "BAD_USER_INPUT") from None


Month = NewType("Month", date)

SCALARS: dict[object, ScalarDefinition] = {
    Month: strawberry.scalar(
        name="Month",
        description="A calendar month in the community's time zone, as YYYY-MM.",
        serialize=format_month,
        parse_value=_parse_month,
    ),
}
