"""Governance (seed 10.5) and snoozes (7.3): the indexes the expiry job and the digest use.

The new fields (anomalies.delivery/deliveryReason/decidedAt/snoozeEndedAt, accounts.governanceMode/
promotedAt/modeOverride/modeOverrideBy/zombieCount/zombieMonthlyUsd, tenants.lastDigestOn) need no
backfill: documents without them read as None,
which means "not decided yet" and "the policy's default mode".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import accounts, anomalies
from storage.indexes import ensure_indexes

ID = "0008_governance"
CREATED = date(2026, 12, 4)
SUNSET_DATE = date(2027, 1, 3)


async def up(db: Any) -> None:
    """Create the anomalies' snooze and delivery indexes."""
    await ensure_indexes(db, (anomalies.COLLECTION, accounts.COLLECTION))
