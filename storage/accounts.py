"""AWS accounts connected by tenants: how an incoming event finds its tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from storage._documents import Document, utc

COLLECTION = "accounts"

AccountStatus = Literal["pending", "active", "disconnecting", "disconnected"]


class Account(Document):
    """One AWS account and the tenant it belongs to."""

    id: str = Field(alias="_id")  # the 12-digit AWS account id
    tenant_id: str
    status: AccountStatus = "active"
    name: str | None = None
    role_arn: str | None = None
    connected_at: datetime
    learning_started_at: datetime | None = None
    auto_attached: bool = False


class Accounts:
    """The accounts collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def route(self, account_id: str) -> Account | None:
        """The account record an incoming event belongs to, whatever its tenant.

        The only lookup not filtered by tenant: it is how an event's tenant is found.
        """
        raw = await self._col.find_one({"_id": account_id})
        return Account.from_mongo(raw) if raw else None

    async def get(self, tenant_id: str, account_id: str) -> Account | None:
        """The tenant's account, or None."""
        raw = await self._col.find_one({"_id": account_id, "tenantId": tenant_id})
        return Account.from_mongo(raw) if raw else None

    async def for_tenant(self, tenant_id: str) -> list[Account]:
        """The tenant's accounts, by account id."""
        cursor = self._col.find({"tenantId": tenant_id}).sort("_id", 1)
        return [Account.from_mongo(raw) async for raw in cursor]

    async def attach(
        self, tenant_id: str, account_id: str, now: datetime, *, auto: bool = False
    ) -> Account:
        """Connect the account to the tenant (active, learning from now) unless it is known.

        An account already attached to another tenant is left with that tenant.
        """
        await self._col.update_one(
            {"_id": account_id},
            {
                "$setOnInsert": {
                    "tenantId": tenant_id,
                    "status": "active",
                    "connectedAt": utc(now),
                    "learningStartedAt": utc(now),
                    "autoAttached": auto,
                }
            },
            upsert=True,
        )
        account = await self.route(account_id)
        assert account is not None  # just upserted
        return account
