"""The GraphQL schema, its limits, and how its errors are logged and masked."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.mutations import CoreMutation
from api.queries import Query
from api.salesforce import SalesforceMutation
from api.scalars import SCALARS
from api.validation import RequestRules

log = logging.getLogger(__name__)

MAX_DEPTH = 10
MAX_TOKENS = 5_000
MAX_ALIASES = 30


@strawberry.type(
    name="Mutation", description="Everything integrations and admins change."
)
class Mutation(CoreMutation, SalesforceMutation):
    pass


def is_unexpected(error: GraphQLError) -> bool:
    """A bug or an outage, as opposed to an error the API means to give."""
    return error.original_error is not None and not isinstance(
        error.original_error, GraphQLError
    )


class EngagementSchema(strawberry.Schema):
    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            if is_unexpected(error):
                log.error(
                    "graphql.unexpected_error",
                    exc_info=error.original_error,
                    extra={"path": error.path},
                )


def build_schema(production: bool = False) -> strawberry.Schema:
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        RequestRules,
    ]
    if production:
        extensions.append(lambda: MaskErrors(should_mask_error=is_unexpected))
    return EngagementSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )


schema = build_schema()
