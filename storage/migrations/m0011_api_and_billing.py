"""The REST API's keys (seed 9.3) and billing (9.2): two collections and their indexes.

New fields (tenants.stripeCustomerId/stripeSubscriptionId/billingEventAt/planChangedAt,
accounts.pausedAt/pausedReason, the account status "paused") need no backfill: documents without
them read as None ("no subscription", "never paused").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import anomalies, apikeys, billing, tenants
from storage.indexes import ensure_indexes

ID = "0011_api_and_billing"
CREATED = date(2026, 12, 5)
SUNSET_DATE = date(2027, 1, 4)


async def up(db: Any) -> None:
    """Create the API keys', billing events', tenants' and anomalies' new indexes."""
    await ensure_indexes(
        db, (apikeys.COLLECTION, billing.COLLECTION, tenants.COLLECTION, anomalies.COLLECTION)
    )
