"""Log lines: readable key=value in development, one JSON object in production.

Only what a record carries in ``extra`` is printed beside its event name, so
nothing reaches the log that the code did not choose to put there.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        pairs = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = (
            f"{stamp} {record.levelname:<7} {record.name} {record.getMessage()} {pairs}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line.rstrip()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Libraries whose debug lines echo what passes through them, kept to warnings
# even with -v: the ORM and the database drivers print queries with their
# parameters (e-mails, key hashes); the HTTP clients print a line per request
# with its URL and headers (the demo, Salesforce calls).
QUIET_LOGGERS = (
    "tortoise",
    "aiosqlite",
    "asyncpg",
    "httpx",
    "httpcore",
    "urllib3",
)


def configure(verbose: bool, production: bool) -> None:
    """Send every log line to stderr in the environment's format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if production else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def quiet() -> None:
    """Only warnings and errors, unless debug lines were asked for."""
    root = logging.getLogger()
    if root.level > logging.DEBUG:
        root.setLevel(logging.WARNING)
