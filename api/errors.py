"""The two shapes of failure: payload user errors, and GraphQL errors with a code."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError, ErrorCode


@strawberry.enum(description="Why an input was refused.")
class UserErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"


@strawberry.type(description="A refused input: which field, why, and a stable code.")
class UserError:
    field: str = strawberry.field(description="The input field at fault, as a path.")
    message: str = strawberry.field(description="A human-readable reason.")
    code: UserErrorCode = strawberry.field(description="A stable code for clients.")


def user_error(error: DomainError, prefix: str = "") -> UserError:
    field = f"{prefix}.{error.field}" if prefix else error.field
    return UserError(
        field=field, message=error.message, code=UserErrorCode(error.code.value)
    )


class ClientError(GraphQLError):
    """An intended error of a query: passes through unmasked, with a code."""

    def __init__(self, message: str, code: str, **extensions: Any):
        super().__init__(message, extensions={"code": code, **extensions})


def input_error(error: DomainError) -> ClientError:
    """A query argument refused by the domain, as a GraphQL error."""
    code = "BAD_USER_INPUT" if error.code is not ErrorCode.NOT_FOUND else "NOT_FOUND"
    return ClientError(f"{error.field}: {error.message}", code, field=error.field)
