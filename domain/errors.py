"""Expected failures of the domain, each naming the field at fault."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"


class DomainError(Exception):
    """Bad input: which field, why, and a stable code for clients."""

    def __init__(self, field: str, message: str, code: ErrorCode = ErrorCode.INVALID):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


class NotFound(DomainError):
    """An id that does not exist in the caller's community.

    An id of another community is reported exactly like one that never existed.
    """

    def __init__(self, field: str, what: str = "record"):
        super().__init__(field, f"no such {what}", ErrorCode.NOT_FOUND)


class RetryLater(Exception):
    """Work that cannot go on now (a rate limit, an outage) and should be retried.

    ``delay`` is how many seconds to wait before the next try.
    """

    def __init__(self, reason: str, delay: float):
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
