"""The audit log: what the system decided and why, per tenant (append-only; kept 400 days)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from storage._documents import Document, utc

COLLECTION = "audit_log"
RETENTION = timedelta(days=400)
SYSTEM = "-"  # tenant id of entries that belong to no tenant (an event from an unknown account)


class AuditEntry(Document):
    """One decision."""

    tenant_id: str
    at: datetime
    kind: str
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)
    expire_at: datetime


class AuditLog:
    """The audit_log collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def record(
        self,
        tenant_id: str | None,
        kind: str,
        message: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
        *,
        entry_id: str | None = None,
    ) -> None:
        """Append an entry; with `entry_id`, only once (a redelivery does not repeat it)."""
        entry = AuditEntry(
            tenant_id=tenant_id or SYSTEM,
            at=utc(now),
            kind=kind,
            message=message,
            detail=detail or {},
            expire_at=utc(now + RETENTION),
        )
        if entry_id is None:
            await self._col.insert_one(entry.to_mongo())
            return
        await self._col.update_one(
            {"_id": entry_id}, {"$setOnInsert": entry.to_mongo()}, upsert=True
        )

    async def recent(
        self, tenant_id: str | None, *, kind: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest entries of a tenant (None: entries that belong to no tenant)."""
        query: dict[str, Any] = {"tenantId": tenant_id or SYSTEM}
        if kind is not None:
            query["kind"] = kind
        cursor = self._col.find(query).sort("at", -1).limit(limit)
        return [AuditEntry.from_mongo(raw) async for raw in cursor]
