"""Forwarding coverage (issue 12): the coverage collection and its tenant index.

A new collection: nothing to backfill (an account without a record has not been checked yet).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import coverage
from storage.indexes import ensure_indexes

ID = "0009_coverage"
CREATED = date(2026, 12, 5)
SUNSET_DATE = date(2027, 1, 4)


async def up(db: Any) -> None:
    """Create the coverage collection's index."""
    await ensure_indexes(db, (coverage.COLLECTION,))
