"""The initial schema: every collection's indexes."""

from __future__ import annotations

from datetime import date
from typing import Any

from storage.indexes import ensure_indexes

ID = "0001_initial"
CREATED = date(2026, 11, 26)
SUNSET_DATE = date(2026, 12, 26)


async def up(db: Any) -> None:
    """Create the indexes of storage/indexes.py."""
    await ensure_indexes(db)
