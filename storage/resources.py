"""The live resource inventory: what each account is running now, and what it costs per hour.

Launches add resources with their hourly cost, stops mark them stopped, terminations and
deletions end them (ended documents expire after `ENDED_RETENTION`). An update only applies
when it is not older than the last event that touched the resource, so a late or redelivered
event never undoes a newer one. The same store answers the engine's `ResourceContext`
questions (the type of an instance being started, the memory of a function).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from engine import KnownResource
from engine.context import ResourceChange
from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "live_resources"
ENDED_RETENTION = timedelta(days=30)
ResourceKey = tuple[str, str, str, str]  # account, region, resource type, resource id


def resource_id(tenant_id: str, key: ResourceKey) -> str:
    """The document id of a resource."""
    return "|".join((tenant_id, *key))


class LiveResource(Document):
    """One resource the inventory knows."""

    id: str = Field(alias="_id")
    tenant_id: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    state: Literal["running", "stopped", "ended", "defined"]
    size: str | None = None
    os: str | None = None
    engine: str | None = None
    multi_az: bool = False
    memory_mb: int | None = None
    architecture: str | None = None
    unit_hourly_cost: float | None = None
    quantity: int | None = None
    hourly_cost: float | None = None
    first_seen: datetime
    last_event_time: datetime
    last_event_id: str
    expire_at: datetime | None = None

    def known(self) -> KnownResource:
        """What the engine may know about it."""
        return KnownResource(
            size=self.size,
            os=self.os,
            engine=self.engine,
            multi_az=self.multi_az,
            memory_mb=self.memory_mb,
            architecture=self.architecture,
            unit_hourly_cost=self.unit_hourly_cost,
            quantity=self.quantity,
        )


@dataclass(frozen=True, slots=True)
class BurnRate:
    """$/hour of what is running now, and how many running resources it could not price."""

    hourly_usd: float
    running: int
    unpriced: int


def _known_fields(known: KnownResource | None) -> dict[str, Any]:
    if known is None:
        return {}
    fields = {
        "size": known.size,
        "os": known.os,
        "engine": known.engine,
        "memoryMb": known.memory_mb,
        "architecture": known.architecture,
        "unitHourlyCost": known.unit_hourly_cost,
        "quantity": known.quantity,
    }
    out = {k: v for k, v in fields.items() if v is not None}
    out["multiAz"] = known.multi_az
    return out


def update_for(
    change: ResourceChange, event_id: str, when: datetime, now: datetime
) -> dict[str, Any]:
    """The one atomic update that applies a change (ended resources expire 30 days after now)."""
    set_: dict[str, Any] = {"lastEventTime": when, "lastEventId": event_id}
    set_.update(_known_fields(change.known))
    on_insert: dict[str, Any] = {
        "accountId": change.account_id,
        "region": change.region,
        "resourceType": change.resource_type,
        "resourceId": change.resource_id,
        "firstSeen": when,
    }
    if change.hourly_cost is not None:
        set_["hourlyCost"] = change.hourly_cost
    if change.state == "changed":
        on_insert["state"] = "running"
    else:
        set_["state"] = change.state
        set_["expireAt"] = utc(now) + ENDED_RETENTION if change.state == "ended" else None
    return {"$set": set_, "$setOnInsert": on_insert}


@translate_driver_errors
class Resources:
    """The live_resources collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def apply(
        self,
        tenant_id: str,
        change: ResourceChange,
        event_id: str,
        event_time: datetime,
        now: datetime,
    ) -> bool:
        """Apply one change unless a newer event already touched the resource."""
        when = utc(event_time)
        key = (change.account_id, change.region, change.resource_type, change.resource_id)
        query = {
            "_id": resource_id(tenant_id, key),
            "tenantId": tenant_id,
            "lastEventTime": {"$lte": when},
        }
        try:
            await self._col.update_one(query, update_for(change, event_id, when, now), upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, tenant_id: str, key: ResourceKey) -> LiveResource | None:
        """The resource, or None."""
        raw = await self._col.find_one({"_id": resource_id(tenant_id, key), "tenantId": tenant_id})
        return LiveResource.from_mongo(raw) if raw else None

    async def known(
        self, tenant_id: str, keys: list[ResourceKey]
    ) -> dict[ResourceKey, KnownResource]:
        """What the inventory knows of these resources (ended ones excluded)."""
        found: dict[ResourceKey, KnownResource] = {}
        for key in dict.fromkeys(keys):
            res = await self.get(tenant_id, key)
            if res is not None and res.state != "ended":
                found[key] = res.known()
        return found

    async def running(
        self, tenant_id: str, account_id: str | None = None, limit: int = 0
    ) -> list[LiveResource]:
        """Running resources, most expensive first."""
        query: dict[str, Any] = {"tenantId": tenant_id, "state": "running"}
        if account_id is not None:
            query["accountId"] = account_id
        cursor = self._col.find(query).sort("hourlyCost", -1)
        if limit:
            cursor = cursor.limit(limit)
        return [LiveResource.from_mongo(raw) async for raw in cursor]

    async def seen_during(
        self, tenant_id: str, account_id: str, start: datetime, end: datetime
    ) -> list[LiveResource]:
        """Resources that may have run between `start` and `end` (the reconciliation's day):
        first seen before the end, and still running/stopped or last changed after the start."""
        query: dict[str, Any] = {
            "tenantId": tenant_id,
            "accountId": account_id,
            "firstSeen": {"$lt": utc(end)},
            "$or": [{"state": "running"}, {"lastEventTime": {"$gte": utc(start)}}],
        }
        return [LiveResource.from_mongo(raw) async for raw in self._col.find(query)]

    async def launched_since(
        self, tenant_id: str, since: datetime, account_id: str | None = None
    ) -> list[LiveResource]:
        """Resources first seen since a time that are still running (the digest's 'new today')."""
        query: dict[str, Any] = {
            "tenantId": tenant_id,
            "state": "running",
            "firstSeen": {"$gte": utc(since)},
        }
        if account_id is not None:
            query["accountId"] = account_id
        return [LiveResource.from_mongo(raw) async for raw in self._col.find(query)]

    async def stopped_since(self, tenant_id: str, since: datetime) -> int:
        """How many resources stopped or ended since a time (the digest's spend estimate)."""
        query = {
            "tenantId": tenant_id,
            "state": {"$in": ["stopped", "ended"]},
            "lastEventTime": {"$gte": utc(since)},
        }
        return int(await self._col.count_documents(query))

    async def burn_rate(self, tenant_id: str, account_id: str | None = None) -> BurnRate:
        """What the tenant (or one account) is spending per hour on what runs now."""
        query: dict[str, Any] = {"tenantId": tenant_id, "state": "running"}
        if account_id is not None:
            query["accountId"] = account_id
        total, running, unpriced = 0.0, 0, 0
        async for raw in self._col.find(query, {"hourlyCost": 1}):
            running += 1
            cost = raw.get("hourlyCost")
            if cost is None:
                unpriced += 1
            else:
                total += float(cost)
        return BurnRate(round(total, 6), running, unpriced)

    async def running_count(self, tenant_id: str, keys: list[ResourceKey]) -> int:
        """How many of these resources are running now."""
        count = 0
        for key in dict.fromkeys(keys):
            res = await self.get(tenant_id, key)
            count += res is not None and res.state == "running"
        return count

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Delete every inventory entry of one of the tenant's accounts; how many went."""
        result = await self._col.delete_many({"tenantId": tenant_id, "accountId": account_id})
        return int(result.deleted_count)
