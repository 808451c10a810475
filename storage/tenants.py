"""Tenants: one per Slack workspace (team id; enterprise id on Enterprise Grid)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from storage._documents import Document, utc

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
    created_at: datetime


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
