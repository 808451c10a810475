"""The wall clock, in one place for every layer that may read it.

`engine/` and `pricing/` never read the clock (the caller passes `now`); everything above them
imports `storage`, so the one `utc_now` lives here, and code that needs time takes a `Clock`
(tests pass a fixed one).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)
