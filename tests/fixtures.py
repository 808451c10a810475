"""The one reader of sample payloads in tests/events/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

EVENTS = Path(__file__).parent / "events"
CLOUDTRAIL = EVENTS / "cloudtrail"


def load(relative: str) -> Any:
    """A JSON file under tests/events/."""
    return orjson.loads((EVENTS / relative).read_bytes())


def cloudtrail_expectations() -> dict[str, Any]:
    """Fixture path (relative to tests/events/cloudtrail) -> expected normalisation."""
    expected: dict[str, Any] = orjson.loads((CLOUDTRAIL / "expected.json").read_bytes())
    return expected
