"""Ids and external ids as clients send them, checked before any query.

A database refuses what its columns cannot hold (an id past 64 bits) with an
error that would fail the whole request; here such a value is simply one that
names nothing.
"""

from __future__ import annotations

import re

# Ids are BIGINT columns; their decimal form has no sign and no leading zero.
MAX_ROW_ID = 2**63 - 1
_ROW_ID = re.compile(r"[1-9][0-9]{0,18}")


def row_id(value: object) -> int | None:
    """The row id ``value`` spells, or None when it can name no row."""
    text = str(value)
    if not _ROW_ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ROW_ID else None
