"""Salesforce record ids: the 15-character form, its checksum, the 18-character form."""

from __future__ import annotations

import re

from domain.errors import DomainError

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_PATTERN = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-5]{3})?$")


def checksum(id15: str) -> str:
    """The three-character suffix that records which positions are uppercase."""
    suffix = []
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << index for index, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix.append(_ALPHABET[bits])
    return "".join(suffix)


def canonical_id(value: str, field: str = "crmId") -> str:
    """The canonical 18-character id of a 15- or 18-character Salesforce id.

    A 15-character id is case-sensitive and taken as given. An 18-character id
    whose case was lost is restored from its suffix and then checked.
    """
    text = (value or "").strip()
    if not _ID_PATTERN.match(text):
        raise DomainError(
            field, f"{value!r} is not a 15- or 18-character Salesforce id"
        )
    if len(text) == 15:
        return text + checksum(text)

    suffix = text[15:].upper()
    restored = _restore_case(text[:15], suffix)
    if checksum(restored) != suffix:
        raise DomainError(field, f"{value!r} has a checksum that does not match its id")
    return restored + suffix


def _restore_case(id15: str, suffix: str) -> str:
    chars = list(id15.lower())
    for chunk, letter in enumerate(suffix):
        bits = _ALPHABET.index(letter)
        for offset in range(5):
            if bits & (1 << offset):
                chars[chunk * 5 + offset] = chars[chunk * 5 + offset].upper()
    return "".join(chars)
