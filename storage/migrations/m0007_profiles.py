"""Principal and account profiles (issue 9 detectors), and baselines' first-seen times and
expected (principal, size) pairs.

New fields need no backfill: a baseline without `sizeFirst`/`pairFirst` counts the sizes and pairs
it already holds as seen since its `firstSeen`; one without `expectedPairs` silences nothing
(the old expected sizes and actors still stop counting as novel, but never silence an alert alone).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import profiles
from storage.indexes import ensure_indexes

ID = "0007_profiles"
CREATED = date(2026, 12, 4)
SUNSET_DATE = date(2027, 1, 3)


async def up(db: Any) -> None:
    """Create the profiles collection's indexes."""
    await ensure_indexes(db, (profiles.COLLECTION,))
