"""Cost events carry the digest of their CloudTrail record, so a duplicate with other content
is told apart from a plain redelivery (issue 11).

`cost_events.digest` is a new optional field: events stored before read as None and never
count as conflicting. No backfill (the raw records were not kept), no index (it is only read
with the event, by `_id`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

ID = "0004_event_digest"
CREATED = date(2026, 12, 4)
SUNSET_DATE = date(2027, 1, 3)


async def up(db: Any) -> None:
    """Nothing to write: the field is added by new inserts only."""
    del db
