"""Slack installations, bots and OAuth states: their indexes (TTL on OAuth states)."""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import installations
from storage.indexes import ensure_indexes

ID = "0002_slack_installations"
CREATED = date(2026, 11, 26)
SUNSET_DATE = date(2026, 12, 26)

COLLECTIONS = (installations.BOTS, installations.INSTALLATIONS, installations.OAUTH_STATES)


async def up(db: Any) -> None:
    """Create the indexes of the Slack installation collections."""
    await ensure_indexes(db, COLLECTIONS)
