"""Logging for the service: JSON lines on stderr, secrets masked, libraries kept quiet.

    configure_logging("DEBUG")            # ours at DEBUG, the libraries' at INFO
    configure_logging("DEBUG", "DEBUG")   # LOG_LEVEL_THIRD_PARTY=DEBUG: theirs too (still masked)

Only the composition root calls `configure_logging`; every module logs through
`logging.getLogger(__name__)`. `AccessLogger` is aiohttp's access log without query values.
"""

from logconfig.access import AccessLogger
from logconfig.handlers import (
    FIRST_PARTY,
    JsonFormatter,
    RedactingFilter,
    configure_logging,
)
from logconfig.redact import MASK, redact, redact_value

__all__ = [
    "FIRST_PARTY",
    "MASK",
    "AccessLogger",
    "JsonFormatter",
    "RedactingFilter",
    "configure_logging",
    "redact",
    "redact_value",
]
