"""What a text column of either database can hold."""

from __future__ import annotations

from domain.errors import DomainError


def storable_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can.

    PostgreSQL's text and JSON types refuse NUL; a lone UTF-16 surrogate, which
    a JSON escape can carry, has no UTF-8 form for any database to store.
    """
    if "\x00" in text:
        return "must not contain the NUL character (\\u0000)"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "must not contain a lone UTF-16 surrogate"
    return None


def is_storable(text: str) -> bool:
    return storable_problem(text) is None


def check_storable(text: str, field: str) -> None:
    """Refuse the characters that a text column cannot hold, naming the field."""
    problem = storable_problem(text)
    if problem is not None:
        raise DomainError(field, problem)
