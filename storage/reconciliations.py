"""Reconciliations: per account and day, what we estimated beside what AWS billed (Cost Explorer).

One document per tenant x account x day (`_id` = "tenant|account|day"); it is written once,
because each Cost Explorer request costs money, and kept so the accuracy trend can be shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "reconciliations"


class ServicePair(Document):
    """One Cost Explorer service: our estimate (0 when we do not watch it) and the bill."""

    service: str
    estimated_usd: float
    billed_usd: float


class Reconciliation(Document):
    """One account's day: estimated vs billed, per service, and what we do not watch."""

    id: str = Field(alias="_id")
    tenant_id: str
    account_id: str
    day: str  # ISO date (UTC)
    estimated_usd: float
    billed_usd: float
    services: list[ServicePair] = Field(default_factory=list)
    unwatched: list[ServicePair] = Field(default_factory=list)
    created_at: datetime


def reconciliation_id(tenant_id: str, account_id: str, day: str) -> str:
    """The document id of one account's day."""
    return f"{tenant_id}|{account_id}|{day}"


@translate_driver_errors
class Reconciliations:
    """The reconciliations collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def has(self, tenant_id: str, account_id: str, day: str) -> bool:
        """Whether the day was reconciled already (so Cost Explorer is not asked again)."""
        found = await self._col.find_one(
            {"_id": reconciliation_id(tenant_id, account_id, day), "tenantId": tenant_id}
        )
        return found is not None

    async def save(self, doc: Reconciliation) -> bool:
        """Store one day; False when it was stored before (the first one is kept)."""
        raw = doc.to_mongo()
        raw["createdAt"] = utc(doc.created_at)
        try:
            await self._col.insert_one(raw)
        except DuplicateKeyError:
            return False
        return True

    async def since(
        self, tenant_id: str, first_day: str, account_id: str | None = None
    ) -> list[Reconciliation]:
        """The tenant's days from `first_day` on, oldest first (one account when given)."""
        query: dict[str, Any] = {"tenantId": tenant_id, "day": {"$gte": first_day}}
        if account_id is not None:
            query["accountId"] = account_id
        cursor = self._col.find(query).sort([("day", 1), ("accountId", 1)])
        return [Reconciliation.from_mongo(raw) for raw in await cursor.to_list(None)]

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Forget a disconnected account's days (purge)."""
        result = await self._col.delete_many({"tenantId": tenant_id, "accountId": account_id})
        return int(result.deleted_count)
