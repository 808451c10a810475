"""`flags.json`: flagd's flag-definition format, with the owner and expiry every flag must carry.

    {"flags": {"detector.sizeJump": {
        "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
        "targeting": {...JsonLogic, optional: e.g. on for some workspaces only...},
        "metadata": {"owner": "...", "added": "2026-12-05", "expires": "2026-12-19",
                     "gates": "detector:sizeJump"}}}}

`metadata` holds scalars only (a nested object breaks the flagd provider). `expires` is at most
14 days after `added`; `python -m flags.check` (run by the tests) fails when an expired flag
is still fully on (ENABLED, default variant true, no targeting), naming it: remove the flag and
keep the behaviour, or switch it off.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "flags.json"
MAX_LIFETIME = timedelta(days=14)


class FlagsError(ValueError):
    """flags.json is unreadable or breaks a rule; the text says which flag and why."""


class FlagMeta(BaseModel):
    """Who owns the flag, when it was added, when it must be gone, and what it switches."""

    model_config = ConfigDict(extra="allow")

    owner: str = Field(min_length=1)
    added: date
    expires: date
    gates: str = Field(min_length=1)

    @model_validator(mode="after")
    def _lifetime(self) -> FlagMeta:
        if self.expires < self.added or self.expires - self.added > MAX_LIFETIME:
            raise ValueError(
                f"expires {self.expires} must be within {MAX_LIFETIME.days} days after "
                f"added {self.added}"
            )
        return self


class FlagDef(BaseModel):
    """One flag in flagd's format (boolean variants)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    state: Literal["ENABLED", "DISABLED"]
    variants: dict[str, bool]
    default_variant: str = Field(alias="defaultVariant")
    targeting: dict[str, Any] | None = None
    metadata: FlagMeta

    @model_validator(mode="after")
    def _default_exists(self) -> FlagDef:
        if self.default_variant not in self.variants:
            raise ValueError(f"defaultVariant {self.default_variant!r} is not a variant")
        return self

    @property
    def fully_on(self) -> bool:
        """On for everyone: enabled, the default variant true, no targeting."""
        on = self.variants[self.default_variant]
        return self.state == "ENABLED" and on and not self.targeting


class FlagFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    schema_: str | None = Field(default=None, alias="$schema")
    flags: dict[str, FlagDef]


def parse_flags(raw: bytes | str) -> FlagFile:
    """The file as a model; FlagsError naming the flag and field that is wrong."""
    try:
        return FlagFile.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise FlagsError(f"flags.json: not valid JSON ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FlagsError(f"flags.json: {where}: {first['msg']}") from None


def load_flags(path: Path = DEFAULT_PATH) -> FlagFile:
    """Read and validate flags.json."""
    try:
        return parse_flags(path.read_bytes())
    except OSError as exc:
        raise FlagsError(f"flags.json: cannot read {path}: {exc.strerror}") from None


def expired_fully_on(flags: FlagFile, today: date) -> list[str]:
    """One sentence per flag past its expiry that is still on for everyone."""
    return [
        f"flag {name!r} (owner {flag.metadata.owner}) expired on {flag.metadata.expires} "
        "and is still fully on: remove it from flags.json (keeping the behaviour) or switch it off"
        for name, flag in sorted(flags.flags.items())
        if flag.fully_on and flag.metadata.expires < today
    ]
