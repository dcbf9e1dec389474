"""Checks of a query before it runs: what its values mean, and what it may cost.

Both are graphql-core validation rules, so a refused query executes nothing and
its errors are GraphQL's own, never masked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    ValuesOfCorrectTypeRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.language import SKIP, ArgumentNode, DocumentNode, ValueNode, VisitorAction
from graphql.type import GraphQLInputType
from graphql.utilities.validate_input_value import validate_input_literal
from strawberry.extensions import SchemaExtension

from api.types import MAX_PAGE

MAX_COST = 10_000
# A list without `first` (months, domains, periods) counts as this many items.
UNPAGED_LIST_ITEMS = 10


class NamedValueErrors(ValuesOfCorrectTypeRule):
    """Graphql-core's check of literal values, naming the argument at fault.

    A malformed ``Month`` or ``Date`` literal reads ``from: '2025-13' is not a
    month...`` instead of leaving the client to guess which argument it was.
    """

    def __init__(self, context: Any):
        super().__init__(context)
        self.argument = ""

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.argument = node.name.value

    def leave_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.argument = ""

    def is_valid_value_node(
        self, node: ValueNode, input_type: GraphQLInputType | None
    ) -> VisitorAction:
        def on_error(error: GraphQLError, path: list[str | int]) -> None:
            where = self.argument + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in path
            )
            self.report_error(
                GraphQLError(
                    f"{where}: {error.message}" if where else error.message,
                    error.nodes or node,
                    original_error=error.original_error,
                    extensions={"code": "BAD_USER_INPUT", "field": where},
                )
            )

        if input_type:
            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
        return SKIP


def cost_rule(variables: Mapping[str, Any], limit: int) -> type[ValidationRule]:
    """A rule refusing documents that may return more than ``limit`` list items."""

    class QueryCost(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            cost = CostEstimate(self.context.schema, node, variables).total()
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"this query may return {cost:,} list items, more than the"
                        f" limit of {limit:,}; ask for fewer rows with `first`, or"
                        " fewer nested lists or aliases",
                        extensions={
                            "code": "QUERY_TOO_COSTLY",
                            "cost": cost,
                            "limit": limit,
                        },
                    )
                )

    return QueryCost


class CostEstimate:
    """How many list items a document may return, every operation and alias counted.

    A connection's ``first`` (or its default) sizes the list right under it
    (``edges``); what sits below multiplies, so nested pages are a product.
    """

    def __init__(
        self, schema: Any, document: DocumentNode, variables: Mapping[str, Any]
    ):
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        # Per (fragment, parent type, page size): the cost of one copy, so a
        # fragment spread many times is still walked once.
        self.known: dict[tuple[str, str, int | None], int] = {}
        self.walking: set[tuple[str, str, int | None]] = set()
        self.defaults: dict[str, Any] = {}

    def total(self) -> int:
        cost = 0
        for operation in self.operations:
            root = self.schema.get_root_type(operation.operation)
            if root is None:
                continue
            # Variables and their defaults belong to one operation.
            self.defaults = _variable_defaults(operation)
            self.known.clear()
            cost += self._selections(operation.selection_set, root, None)
        return cost

    def _selections(
        self, selections: SelectionSetNode, parent: Any, page: int | None
    ) -> int:
        """The items under one selection set, per copy of its parent."""
        if not isinstance(parent, GraphQLObjectType):
            return 0
        cost = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                field = parent.fields.get(selection.name.value)
                cost += self._field(selection, field, page) if field else 0
            elif isinstance(selection, InlineFragmentNode):
                cost += self._selections(selection.selection_set, parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self._fragment(selection.name.value, parent, page)
        return cost

    def _field(self, node: FieldNode, field: GraphQLField, page: int | None) -> int:
        is_list = is_list_type(get_nullable_type(field.type))
        items = (page or UNPAGED_LIST_ITEMS) if is_list else 1
        own = items if is_list else 0
        if node.selection_set is None:
            return own
        below = self._selections(
            node.selection_set, get_named_type(field.type), self._first(node, field)
        )
        return own + items * below

    def _fragment(self, name: str, parent: Any, page: int | None) -> int:
        """One copy of a fragment, walked once however often it is spread."""
        key = (name, parent.name, page)
        fragment = self.fragments.get(name)
        # A cycle is refused by another rule; here it only must not loop.
        if fragment is None or key in self.walking:
            return 0
        if key not in self.known:
            self.walking.add(key)
            self.known[key] = self._selections(fragment.selection_set, parent, page)
            self.walking.discard(key)
        return self.known[key]

    def _first(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The page size a connection field asks for; None for other fields."""
        if "first" not in field.args:
            return None
        value = _argument_default(field.args["first"])
        given = next((a for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(given, ArgumentNode):
            value = self._value(given)
        if isinstance(value, bool) or not isinstance(value, int):
            return MAX_PAGE
        # Beyond the page limit the resolver refuses it with a clearer message.
        return min(max(value, 1), MAX_PAGE)

    def _value(self, argument: ArgumentNode) -> Any:
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            name = value.name.value
            return self.variables.get(name, self.defaults.get(name))
        return None


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    return {
        d.variable.name.value: int(d.default_value.value)
        for d in operation.variable_definitions or ()
        if isinstance(d.default_value, IntValueNode)
    }


def _argument_default(argument: Any) -> Any:
    if argument.default is not None:
        return argument.default.value
    return argument.default_value


class RequestRules(SchemaExtension):
    """Puts this module's rules in place for one operation."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rules = tuple(
            NamedValueErrors if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        context.validation_rules = (
            *rules,
            cost_rule(context.variables or {}, MAX_COST),
        )
        yield
