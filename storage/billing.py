"""What billing stores: Stripe webhook events seen (idempotency) and the tenant's plan changes.

- `billing_events`: one document per Stripe event id, claimed before the event is applied, so a
  replayed event changes nothing; released again when applying it failed (Stripe retries).
- The plan lives on the tenant (`storage.tenants`): `apply_plan` sets it only when the event
  is not older than the newest subscription event applied, so events arriving out of order
  never undo a later change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from storage import tenants
from storage._documents import Document, utc
from storage.errors import translate_driver_errors
from storage.tenants import Plan

COLLECTION = "billing_events"
CLAIM_LEASE = timedelta(minutes=5)
RETENTION = timedelta(days=90)  # Stripe retries an event for 3 days; replays older are refused


class BillingEvent(Document):
    """One Stripe event received."""

    id: str = Field(alias="_id")  # Stripe's event id (evt_…)
    type: str
    tenant_id: str | None = None
    received_at: datetime
    outcome: str | None = None
    expire_at: datetime


@translate_driver_errors
class BillingStore:
    """The billing_events collection and the tenant's billing fields."""

    def __init__(self, db: Any) -> None:
        self._events = db[COLLECTION]
        self._tenants = db[tenants.COLLECTION]

    async def claim_event(self, event_id: str, kind: str, now: datetime) -> bool:
        """Take a Stripe event for processing; False when it was processed (or is being
        processed) already. A claim never settled for CLAIM_LEASE (its process died, or the
        release failed with the database) can be taken again, so no event is lost."""
        event = BillingEvent(
            _id=event_id, type=kind, received_at=utc(now), expire_at=utc(now + RETENTION)
        )
        try:
            await self._events.insert_one(event.to_mongo())
        except DuplicateKeyError:
            stale = await self._events.update_one(
                {"_id": event_id, "outcome": None, "receivedAt": {"$lt": utc(now - CLAIM_LEASE)}},
                {"$set": {"receivedAt": utc(now)}},
            )
            return bool(stale.modified_count)
        return True

    async def settle_event(self, event_id: str, tenant_id: str | None, outcome: str) -> None:
        """Record what the event did."""
        await self._events.update_one(
            {"_id": event_id}, {"$set": {"tenantId": tenant_id, "outcome": outcome}}
        )

    async def release_event(self, event_id: str) -> None:
        """Forget a claim whose processing failed, so Stripe's retry is processed."""
        await self._events.delete_one({"_id": event_id, "outcome": None})

    async def event(self, event_id: str) -> BillingEvent | None:
        """A recorded event, or None."""
        raw = await self._events.find_one({"_id": event_id})
        return BillingEvent.from_mongo(raw) if raw else None

    async def tenant_for_subscription(self, subscription_id: str) -> str | None:
        """The tenant whose Pro subscription this is, or None."""
        raw = await self._tenants.find_one({"stripeSubscriptionId": subscription_id})
        return str(raw["_id"]) if raw else None

    async def apply_plan(
        self,
        tenant_id: str,
        plan: Plan,
        event_at: datetime,
        now: datetime,
        *,
        customer_id: str | None = None,
        subscription_id: str | None = None,
    ) -> bool:
        """Set the plan from a Stripe event created at `event_at`; False when a newer event was
        applied already (or there is no such tenant)."""
        update: dict[str, Any] = {
            "plan": plan,
            "billingEventAt": utc(event_at),
            "planChangedAt": utc(now),
        }
        if customer_id is not None:
            update["stripeCustomerId"] = customer_id
        if subscription_id is not None:
            update["stripeSubscriptionId"] = subscription_id
        result = await self._tenants.update_one(
            {
                "_id": tenant_id,
                "$or": [{"billingEventAt": None}, {"billingEventAt": {"$lte": utc(event_at)}}],
            },
            {"$set": update},
        )
        return bool(result.matched_count)
