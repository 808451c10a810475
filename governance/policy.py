"""policy.json (seed 10.5): the governance policy, validated once at start-up.

    {
      "governance_mode": "strict",          # the mode a new account starts in
      "learning_days": 14,                  # baseline learning period before promotion
      "promotion": {"min_baseline_days": 14, "max_false_positive_rate": 0.10},
      "panic_mode": false                   # true: nothing is posted, for every workspace
    }

`load_policy(path)` raises `PolicyError` with one line naming the field and what it should be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governance.errors import PolicyError

Mode = Literal["strict", "audit"]
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "policy.json"
# The more restrictive of two modes wins: strict holds statistical alerts back, audit posts them.
RESTRICTIVENESS: dict[str, int] = {"audit": 0, "strict": 1}


class Promotion(BaseModel):
    """When a strict account is promoted to audit by the daily job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_baseline_days: int = Field(default=14, ge=0, le=365)
    max_false_positive_rate: float = Field(default=0.10, gt=0.0, le=1.0)


class Policy(BaseModel):
    """The governance policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    governance_mode: Mode = "strict"
    learning_days: int = Field(default=14, ge=0, le=365)
    promotion: Promotion = Promotion()
    panic_mode: bool = False


def stricter(a: Mode, b: Mode | None) -> Mode:
    """The more restrictive of two modes (None: `a`)."""
    if b is None:
        return a
    return a if RESTRICTIVENESS[a] >= RESTRICTIVENESS[b] else b


def parse_policy(raw: bytes, source: str = "policy.json") -> Policy:
    """The policy in `raw` JSON; PolicyError naming the first bad field."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PolicyError(f"{source}: not valid JSON ({exc.msg})") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "(the whole document)"
        raise PolicyError(f"{source}: {field}: {first['msg']}") from None


def load_policy(path: Path | str = DEFAULT_PATH) -> Policy:
    """Read and validate policy.json; PolicyError (one line) when it cannot be used."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{file.name}: cannot be read ({exc.strerror or exc})") from None
    return parse_policy(raw, file.name)
