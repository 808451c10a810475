"""Issue 18: the `reconciliations` collection (estimated vs billed per account and day).

A new collection with its two indexes; nothing existing changes, so there is nothing to backfill.
Usage-spike anomalies use the existing anomaly fields (`details` holds their facts).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import reconciliations
from storage.indexes import ensure_indexes

ID = "0010_reconciliations"
CREATED = date(2026, 12, 5)
SUNSET_DATE = date(2027, 1, 4)


async def up(db: Any) -> None:
    """Create the reconciliations' indexes."""
    await ensure_indexes(db, (reconciliations.COLLECTION,))
