"""Feature flags (seed 10.1): `flags.json` in flagd's flag-definition format, evaluated locally
through the OpenFeature SDK per workspace; what they switch is handed to the pure engine."""

from __future__ import annotations

from flags.definitions import (
    DEFAULT_PATH,
    MAX_LIFETIME,
    FlagDef,
    FlagFile,
    FlagsError,
    expired_fully_on,
    load_flags,
)
from flags.switches import ALL_ON, Gate, Switched, Switches, parse_gate

__all__ = [
    "ALL_ON",
    "DEFAULT_PATH",
    "MAX_LIFETIME",
    "FlagDef",
    "FlagFile",
    "FlagsError",
    "Gate",
    "Switched",
    "Switches",
    "expired_fully_on",
    "load_flags",
    "parse_gate",
]
