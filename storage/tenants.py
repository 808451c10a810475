"""Tenants: one per Slack workspace (team id; enterprise id on Enterprise Grid)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "tenants"
DEV_TENANT = "dev"

Plan = Literal["free", "pro"]
TenantStatus = Literal["active", "inactive"]


class Tenant(Document):
    """A customer workspace."""

    id: str = Field(alias="_id")
    name: str | None = None
    plan: Plan = "free"
    status: TenantStatus = "active"
    alert_channel: str | None = None
    installer_user_id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    installed_at: datetime | None = None
    status_at: datetime | None = None
    status_reason: str | None = None
    created_at: datetime
    # The ExternalId every dd0c-cost stack of this tenant must carry (UUIDv4, made once, never
    # changed: changing it would lock out every stack already deployed).
    external_id: str | None = None
    external_id_created_at: datetime | None = None
    last_digest_on: str | None = None  # the workspace-local date of the last daily digest
    # Billing (billing/, seed 9.2): the Stripe objects of the Pro subscription, and the creation
    # time of the newest subscription event applied (an older one arriving late changes nothing).
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None
    billing_event_at: datetime | None = None
    plan_changed_at: datetime | None = None


@translate_driver_errors
class Tenants:
    """The tenants collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, or None."""
        raw = await self._col.find_one({"_id": tenant_id})
        return Tenant.from_mongo(raw) if raw else None

    async def ensure(self, tenant_id: str, now: datetime, name: str | None = None) -> Tenant:
        """The tenant, created active on the free plan if it did not exist."""
        await self._col.update_one(
            {"_id": tenant_id},
            {
                "$setOnInsert": {
                    "name": name,
                    "plan": "free",
                    "status": "active",
                    "alertChannel": None,
                    "createdAt": utc(now),
                }
            },
            upsert=True,
        )
        tenant = await self.get(tenant_id)
        assert tenant is not None  # just upserted
        return tenant

    async def installed(
        self,
        tenant_id: str,
        now: datetime,
        *,
        name: str | None,
        alert_channel: str | None,
        installer_user_id: str | None,
        team_id: str | None,
        enterprise_id: str | None,
    ) -> Tenant:
        """Record a (re-)install: active again, with the channel and installer chosen."""
        await self.ensure(tenant_id, now, name)
        update: dict[str, Any] = {
            "status": "active",
            "statusAt": utc(now),
            "statusReason": "installed",
            "installedAt": utc(now),
            "installerUserId": installer_user_id,
            "teamId": team_id,
            "enterpriseId": enterprise_id,
        }
        if name:
            update["name"] = name
        if alert_channel:
            update["alertChannel"] = alert_channel
        await self._col.update_one({"_id": tenant_id}, {"$set": update})
        tenant = await self.get(tenant_id)
        assert tenant is not None  # just written
        return tenant

    async def set_status(
        self, tenant_id: str, status: TenantStatus, now: datetime, reason: str
    ) -> bool:
        """Activate or deactivate a tenant; False when there is no such tenant."""
        result = await self._col.update_one(
            {"_id": tenant_id},
            {"$set": {"status": status, "statusAt": utc(now), "statusReason": reason}},
        )
        return bool(result.matched_count)

    async def set_alert_channel(self, tenant_id: str, channel: str) -> None:
        """Where alerts go from now on."""
        await self._col.update_one({"_id": tenant_id}, {"$set": {"alertChannel": channel}})

    async def ensure_external_id(self, tenant_id: str, now: datetime) -> str | None:
        """The tenant's ExternalId, made (UUIDv4) on first use; None when there is no such tenant.

        Only the first writer's value is kept (the filter matches while there is none), so
        concurrent calls all return the same id.
        """
        await self._col.update_one(
            {"_id": tenant_id, "externalId": None},
            {"$set": {"externalId": str(uuid.uuid4()), "externalIdCreatedAt": utc(now)}},
        )
        tenant = await self.get(tenant_id)
        return tenant.external_id if tenant else None

    async def active(self, limit: int = 1000) -> list[Tenant]:
        """Active tenants (the daily digest's round), by id."""
        cursor = self._col.find({"status": "active"}).sort("_id", 1).limit(limit)
        return [Tenant.from_mongo(raw) async for raw in cursor]

    async def claim_digest(self, tenant_id: str, local_date: str) -> bool:
        """Take the tenant's digest for `local_date` (once, whichever replica asks first)."""
        result = await self._col.update_one(
            {"_id": tenant_id, "lastDigestOn": {"$ne": local_date}},
            {"$set": {"lastDigestOn": local_date}},
        )
        return bool(result.modified_count)
