"""The JSON formatter, the redacting filter on every handler, and the logger levels."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from logconfig.redact import redact, redact_value

# Loggers at LOG_LEVEL; every other logger (slack_sdk, slack_bolt, botocore, boto3, aiobotocore,
# urllib3, aiohttp, pymongo, asyncio, …) inherits the root's LOG_LEVEL_THIRD_PARTY.
FIRST_PARTY = (
    "__main__",
    "api",
    "app",
    "billing",
    "bot",
    "cli",
    "engine",
    "governance",
    "ingest",
    "logconfig",
    "onboarding",
    "pricing",
    "scheduler",
    "settings",
    "storage",
)

_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


_DONE = "_dd0c_redacted"


class RedactingFilter(logging.Filter):
    """Masks secrets in a record before any handler formats it: the message with its arguments
    merged, every `extra` field, the traceback and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place; never drops it."""
        if getattr(record, _DONE, False):
            return True
        record.msg = redact(_message(record))
        record.args = None
        for key in [k for k in vars(record) if k not in _RECORD_FIELDS]:
            setattr(record, key, redact_value(getattr(record, key), key))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        setattr(record, _DONE, True)  # noqa: B010 - LogRecord takes any attribute
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a library's bad format string must not lose the record
        return f"{record.msg!s} {record.args!r}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, then the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (redacted once more as a whole)."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        entry.update(
            (k, v) for k, v in vars(record).items() if k not in _RECORD_FIELDS and k[0] != "_"
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return redact(orjson.dumps(entry, default=str).decode())


def configure_logging(
    level: str, third_party: str | None = None, stream: IO[str] | None = None
) -> None:
    """Send every log record to `stream` (stderr) as redacted JSON lines.

    Our loggers log at `level`; the others at `third_party`, by default INFO (or `level` when
    that is higher), so LOG_LEVEL=DEBUG alone never turns on the SDKs' wire logging.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(third_party or max(logging.INFO, logging.getLevelName(level)))
    for name in FIRST_PARTY:
        logging.getLogger(name).setLevel(level)
    redact_every_handler()


def redact_every_handler() -> None:
    """Put the redacting filter on every handler of the root logger (once each)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
