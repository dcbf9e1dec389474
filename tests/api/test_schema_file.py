"""``schema.graphql`` is the served schema, and every part of it is described."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from api.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_the_committed_schema_is_the_served_one():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == schema.as_str() + "\n", "run: engagement export-schema"


def _undescribed() -> list[str]:
    missing = []
    for name, kind in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInputObjectType):
            missing += [
                f"{name}.{f}" for f, d in kind.fields.items() if not d.description
            ]
        if isinstance(kind, GraphQLObjectType):
            missing += [
                f"{name}.{f}({a})"
                for f, d in kind.fields.items()
                for a, arg in d.args.items()
                if not arg.description
            ]
        if isinstance(kind, GraphQLEnumType) and not kind.description:
            missing.append(name)
    return missing


def test_every_type_and_field_has_a_description():
    assert _undescribed() == []
