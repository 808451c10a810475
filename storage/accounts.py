"""AWS accounts connected by tenants: how an incoming event finds its tenant.

Status: (none) -> active (connected) -> disconnecting (events dropped at once; data deleted by a
background job) -> disconnected (data gone; the document and the audit log stay) -> active again
when the same tenant reconnects it. An account belongs to one tenant for good: nothing here ever
moves it to another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "accounts"

# "paused": kept, not watched (a Pro workspace downgraded to free keeps its first account only).
AccountStatus = Literal["pending", "active", "disconnecting", "disconnected", "paused"]
GovernanceMode = Literal["strict", "audit"]


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
    zombie_scan_at: datetime | None = None
    zombie_count: int | None = None  # what the latest scan found (the digest's zombie watch)
    zombie_monthly_usd: float | None = None
    connected_by: str | None = None
    stack_id: str | None = None  # the dd0c-cost stack that connected it (None: connected by hand)
    stack_region: str | None = None
    disconnect_requested_at: datetime | None = None
    disconnect_requested_by: str | None = None
    disconnected_at: datetime | None = None
    # Governance (seed 10.5): None reads as the policy's default mode for new accounts.
    governance_mode: GovernanceMode | None = None
    promoted_at: datetime | None = None
    mode_override: GovernanceMode | None = None  # set from Slack; only ever more restrictive
    mode_override_by: str | None = None
    paused_at: datetime | None = None
    paused_reason: str | None = None


@translate_driver_errors
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

    async def active(self, tenant_id: str) -> list[Account]:
        """The tenant's active accounts, oldest connection first (ties by account id)."""
        cursor = self._col.find({"tenantId": tenant_id, "status": "active"})
        found = [Account.from_mongo(raw) async for raw in cursor]
        return sorted(found, key=lambda a: (utc(a.connected_at), a.id))

    async def connect(
        self,
        tenant_id: str,
        account_id: str,
        role_arn: str,
        now: datetime,
        *,
        by: str,
        stack_id: str | None = None,
        stack_region: str | None = None,
    ) -> Account | None:
        """Make the account active for the tenant, learning from now; None if it is not free.

        A new account is inserted; the tenant's own non-active account is re-activated. None
        when it is active already or belongs to another tenant (never re-attributed).
        """
        fields = {
            "status": "active",
            "roleArn": role_arn,
            "connectedAt": utc(now),
            "learningStartedAt": utc(now),
            "connectedBy": by,
            "stackId": stack_id,
            "stackRegion": stack_region,
            "disconnectRequestedAt": None,
            "disconnectRequestedBy": None,
            "disconnectedAt": None,
        }
        result = await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id, "status": {"$ne": "active"}},
            {"$set": fields},
        )
        if not result.matched_count:
            try:
                await self._col.insert_one(
                    {"_id": account_id, "tenantId": tenant_id, "autoAttached": False, **fields}
                )
            except DuplicateKeyError:
                return None
        return await self.get(tenant_id, account_id)

    async def undo_connect(self, tenant_id: str, account_id: str, *, was_new: bool) -> None:
        """Take back a `connect` that lost a race (a new document goes, an old one is
        disconnected again)."""
        query = {"_id": account_id, "tenantId": tenant_id, "status": "active"}
        if was_new:
            await self._col.delete_one(query)
        else:
            await self._col.update_one(query, {"$set": {"status": "disconnected"}})

    async def update_role(
        self, tenant_id: str, account_id: str, role_arn: str, stack_id: str | None
    ) -> None:
        """Record the role (and stack) an active account is read through now."""
        update: dict[str, Any] = {"roleArn": role_arn}
        if stack_id is not None:
            update["stackId"] = stack_id
        await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id, "status": "active"}, {"$set": update}
        )

    async def mark_disconnecting(
        self, tenant_id: str, account_id: str, by: str, now: datetime
    ) -> bool:
        """Stop using an active (pending, paused) account; False when it was none of those."""
        result = await self._col.update_one(
            {
                "_id": account_id,
                "tenantId": tenant_id,
                "status": {"$in": ["active", "pending", "paused"]},
            },
            {
                "$set": {
                    "status": "disconnecting",
                    "disconnectRequestedAt": utc(now),
                    "disconnectRequestedBy": by,
                }
            },
        )
        return bool(result.modified_count)

    async def scan_due(self, before: datetime, limit: int = 100) -> list[Account]:
        """Active accounts with a role whose last zombie scan is older than `before` (or never).

        Cross-tenant by design: the weekly scan serves every tenant.
        """
        cursor = self._col.find(
            {
                "status": "active",
                "roleArn": {"$ne": None},
                "$or": [{"zombieScanAt": None}, {"zombieScanAt": {"$lt": utc(before)}}],
            }
        ).limit(limit)
        return [Account.from_mongo(raw) async for raw in cursor]

    async def mark_scanned(
        self,
        tenant_id: str,
        account_id: str,
        now: datetime,
        *,
        zombies: int | None = None,
        zombie_monthly_usd: float | None = None,
    ) -> None:
        """Record a zombie scan of the account (and what it found, for the digest)."""
        update: dict[str, Any] = {"zombieScanAt": utc(now)}
        if zombies is not None:
            update |= {"zombieCount": zombies, "zombieMonthlyUsd": zombie_monthly_usd}
        await self._col.update_one({"_id": account_id, "tenantId": tenant_id}, {"$set": update})

    async def purge_due(self, before: datetime, limit: int = 100) -> list[Account]:
        """Accounts of every tenant disconnecting since `before` or earlier, oldest first.

        Cross-tenant by design: the purge job serves every tenant.
        """
        cursor = (
            self._col.find(
                {"status": "disconnecting", "disconnectRequestedAt": {"$lte": utc(before)}}
            )
            .sort("disconnectRequestedAt", 1)
            .limit(limit)
        )
        return [Account.from_mongo(raw) async for raw in cursor]

    async def mark_disconnected(self, tenant_id: str, account_id: str, now: datetime) -> bool:
        """A disconnecting account whose data is deleted; False when it was not disconnecting."""
        result = await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id, "status": "disconnecting"},
            {"$set": {"status": "disconnected", "disconnectedAt": utc(now)}},
        )
        return bool(result.modified_count)

    async def set_governance_mode(
        self, tenant_id: str, account_id: str, mode: GovernanceMode, now: datetime
    ) -> bool:
        """Record the account's mode (auto-promotion); False when it was that mode already."""
        result = await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id, "governanceMode": {"$ne": mode}},
            {"$set": {"governanceMode": mode, "promotedAt": utc(now)}},
        )
        return bool(result.modified_count)

    async def set_mode_override(
        self, tenant_id: str, account_id: str, mode: GovernanceMode | None, by: str | None
    ) -> bool:
        """Set (or clear, with None) the mode chosen from Slack; False without such an account."""
        result = await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id},
            {"$set": {"modeOverride": mode, "modeOverrideBy": by}},
        )
        return bool(result.matched_count)

    async def promotion_candidates(self, limit: int = 500) -> list[Account]:
        """Active accounts not promoted to audit yet, of every tenant (the daily promotion)."""
        cursor = self._col.find({"status": "active", "governanceMode": {"$ne": "audit"}}).limit(
            limit
        )
        return [Account.from_mongo(raw) async for raw in cursor]

    async def pause(self, tenant_id: str, account_id: str, reason: str, now: datetime) -> bool:
        """Stop watching an active account, keeping its data; False when it was not active."""
        result = await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id, "status": "active"},
            {"$set": {"status": "paused", "pausedAt": utc(now), "pausedReason": reason}},
        )
        return bool(result.modified_count)

    async def paused(self, tenant_id: str) -> list[Account]:
        """The tenant's paused accounts, by account id."""
        cursor = self._col.find({"tenantId": tenant_id, "status": "paused"}).sort("_id", 1)
        return [Account.from_mongo(raw) async for raw in cursor]

    async def unpause(self, tenant_id: str, account_id: str) -> bool:
        """Watch a paused account again (its baselines kept); False when it was not paused."""
        result = await self._col.update_one(
            {"_id": account_id, "tenantId": tenant_id, "status": "paused"},
            {"$set": {"status": "active", "pausedAt": None, "pausedReason": None}},
        )
        return bool(result.modified_count)
