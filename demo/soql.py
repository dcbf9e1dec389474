"""SOQL, as little of it as the sync sends, for the fake Salesforce org.

SELECT fields (or COUNT()) FROM one object; WHERE with AND, OR, NOT,
parentheses, comparisons, IN and NOT IN on plain fields; ORDER BY; LIMIT.
A query it cannot read is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"
    r"|(?P<date>\d{4}-\d\d-\d\d)"
    r"|(?P<string>'(?:[^'\\]|\\.)*')"
    r"|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<op>>=|<=|!=|<>|=|<|>|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
_QUERY = re.compile(
    r"^SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<sobject>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Query:
    sobject: str
    fields: list[str]
    where: Callable[[dict[str, Any]], bool]
    referenced: list[str]
    order: list[tuple[str, bool]]
    limit: int | None
    count: bool


def parse_soql(soql: str) -> Query:
    match = _QUERY.match(soql.strip())
    if match is None:
        raise ValueError(f"the fake cannot parse {soql!r}")
    fields = [f.strip() for f in match["fields"].split(",")]
    count = fields == ["COUNT()"]
    referenced: list[str] = []
    where: Callable[[dict[str, Any]], bool] = lambda row: True  # noqa: E731
    if match["where"]:
        where = _Parser(match["where"], referenced).parse()
    order = []
    for part in (match["order"] or "").split(","):
        words = part.split()
        if words:
            order.append((words[0], len(words) > 1 and words[1].upper() == "DESC"))
    limit = int(match["limit"]) if match["limit"] else None
    return Query(
        match["sobject"],
        [] if count else fields,
        where,
        referenced,
        order,
        limit,
        count,
    )


class _Parser:
    def __init__(self, text: str, referenced: list[str]):
        self.tokens = [
            (m.lastgroup, m.group(m.lastgroup or 0)) for m in _TOKEN.finditer(text)
        ]
        self.position = 0
        self.referenced = referenced

    def parse(self) -> Callable[[dict[str, Any]], bool]:
        expression = self._or()
        if self.position != len(self.tokens):
            raise ValueError(f"unparsed SOQL at {self.tokens[self.position :]}")
        return expression

    def _peek(self) -> str:
        if self.position < len(self.tokens):
            return str(self.tokens[self.position][1]).upper()
        return ""

    def _next(self) -> tuple[str | None, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _or(self) -> Callable[[dict[str, Any]], bool]:
        parts = [self._and()]
        while self._peek() == "OR":
            self._next()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda row: any(p(row) for p in parts)

    def _and(self) -> Callable[[dict[str, Any]], bool]:
        parts = [self._not()]
        while self._peek() == "AND":
            self._next()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else lambda row: all(p(row) for p in parts)

    def _not(self) -> Callable[[dict[str, Any]], bool]:
        if self._peek() == "NOT":
            self._next()
            inner = self._not()
            return lambda row: not inner(row)
        if self._peek() == "(":
            self._next()
            inner = self._or()
            self._next()  # the closing parenthesis
            return inner
        return self._comparison()

    def _comparison(self) -> Callable[[dict[str, Any]], bool]:
        _, name = self._next()
        self.referenced.append(name)
        _, operator = self._next()
        if operator.upper() in ("IN", "NOT"):
            if operator.upper() == "NOT":
                self._next()
            values = self._list()
            wanted = {_fold(v) for v in values}
            negate = operator.upper() == "NOT"
            return lambda row: (_fold(row.get(name)) in wanted) != negate
        value = self._literal()
        return _compare(name, operator, value)

    def _list(self) -> list[Any]:
        self._next()  # (
        values = [self._literal()]
        while self._peek() == ",":
            self._next()
            values.append(self._literal())
        self._next()  # )
        return values

    def _literal(self) -> Any:
        kind, text = self._next()
        if kind == "datetime":
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return float(text)
        return {"TRUE": True, "FALSE": False, "NULL": None}[text.upper()]


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(name: str, operator: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    def test(row: dict[str, Any]) -> bool:
        field_value = row.get(name)
        if operator in ("=", "!=", "<>"):
            same = _fold(field_value) == _fold(value)
            return same if operator == "=" else not same
        if field_value is None or value is None:
            return False
        return {
            ">": field_value > value,
            "<": field_value < value,
            ">=": field_value >= value,
            "<=": field_value <= value,
        }[operator]

    return test
