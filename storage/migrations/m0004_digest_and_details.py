"""Two optional fields (issue 11), no backfill, no index:

- `cost_events.digest`: the SHA-256 of the CloudTrail record, so a duplicate with other content is
  told apart from a plain redelivery. Events stored before read as None and never conflict (the
  raw records were not kept, so there is nothing to compute it from).
- `anomalies.details`: the event's service-specific facts, e.g. an EKS node group's cluster, so
  the card's commands need no placeholder. Anomalies stored before read as {}.
"""

from __future__ import annotations

from datetime import date
from typing import Any

ID = "0004_digest_and_details"
CREATED = date(2026, 12, 4)
SUNSET_DATE = date(2027, 1, 3)


async def up(db: Any) -> None:
    """Nothing to write: the fields come with new inserts only."""
    del db
