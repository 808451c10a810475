"""Connecting and disconnecting accounts: the index the purge job finds disconnecting ones by.

The new fields (tenants.externalId, accounts.connectedBy/stackId/disconnect…) need no backfill:
documents without them read as None.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import accounts
from storage.indexes import ensure_indexes

ID = "0003_onboarding"
CREATED = date(2026, 11, 26)
SUNSET_DATE = date(2026, 12, 26)


async def up(db: Any) -> None:
    """Create the accounts collection's indexes (the new `disconnecting` one)."""
    await ensure_indexes(db, (accounts.COLLECTION,))
