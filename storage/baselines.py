"""Baselines: one document per tenant x account x service x resource type.

An event's `BaselineDelta` becomes ONE atomic update ($inc, $max, $min, $addToSet, $push). The
update's filter excludes documents whose `applied` list already holds the event id, so applying
the same delta twice changes nothing: the second upsert collides with the existing `_id` and is
reported as already applied. `applied` keeps the last `APPLIED_WINDOW` event ids; the pipeline's
step record on the event covers anything older.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from engine import Baseline, BaselineDelta, BaselineKey, Stats
from engine.baselines import BASELINE_VERSION, Sensitivity, pair_key, square_micros, to_micros
from storage._documents import Document, apply_once, escape_key, unescape_key, utc
from storage.errors import translate_driver_errors

COLLECTION = "baselines"
APPLIED_WINDOW = 2000


def baseline_id(tenant_id: str, key: BaselineKey) -> str:
    """The document id of a baseline."""
    return f"{tenant_id}|{key.account_id}|{key.service}|{key.resource_type}"


class StoredStats(Document):
    """Count, sum, sum of squares and max of hourly costs."""

    count: int = 0
    total_micros: int = 0
    total_sq_micros: int = 0
    max: float = 0.0

    def stats(self) -> Stats:
        """The engine's value."""
        return Stats(self.count, self.total_micros, self.total_sq_micros, self.max)


class StoredBaseline(StoredStats):
    """A baseline document."""

    id: str = Field(alias="_id")
    tenant_id: str
    account_id: str
    service: str
    resource_type: str
    version: int = BASELINE_VERSION
    size_stats: dict[str, StoredStats] = Field(default_factory=dict)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sizes: list[str] = Field(default_factory=list)
    actors: list[str] = Field(default_factory=list)
    pairs: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    expected_sizes: list[str] = Field(default_factory=list)
    expected_actors: list[str] = Field(default_factory=list)
    expected_pairs: list[str] = Field(default_factory=list)
    size_first: dict[str, datetime] = Field(default_factory=dict)
    pair_first: dict[str, datetime] = Field(default_factory=dict)
    sensitivity: Sensitivity = "medium"
    applied: list[str] = Field(default_factory=list)

    def baseline(self) -> Baseline:
        """The engine's baseline."""
        return Baseline(
            key=BaselineKey(self.account_id, self.service, self.resource_type),
            stats=self.stats(),
            size_stats={unescape_key(k): v.stats() for k, v in self.size_stats.items()},
            first_seen=utc(self.first_seen) if self.first_seen else None,
            last_seen=utc(self.last_seen) if self.last_seen else None,
            sizes=frozenset(self.sizes),
            actors=frozenset(self.actors),
            pairs=frozenset(self.pairs),
            regions=frozenset(self.regions),
            expected_sizes=frozenset(self.expected_sizes),
            expected_actors=frozenset(self.expected_actors),
            expected_pairs=frozenset(self.expected_pairs),
            size_first={unescape_key(k): utc(v) for k, v in self.size_first.items()},
            pair_first={unescape_key(k): utc(v) for k, v in self.pair_first.items()},
            sensitivity=self.sensitivity,
            version=self.version,
        )


def from_document(raw: dict[str, Any]) -> Baseline:
    """The engine's baseline from its stored document (unknown fields ignored)."""
    doc: StoredBaseline = StoredBaseline.from_mongo(raw)
    return doc.baseline()


def update_for(delta: BaselineDelta) -> dict[str, Any]:
    """The single atomic update that adds one event to its baseline (mirrors engine `apply`)."""
    when = utc(delta.event_time)
    pair = pair_key(delta.principal, delta.size)
    update: dict[str, Any] = {
        "$setOnInsert": {
            "accountId": delta.key.account_id,
            "service": delta.key.service,
            "resourceType": delta.key.resource_type,
            "version": BASELINE_VERSION,
        },
        "$min": {"firstSeen": when, f"pairFirst.{escape_key(pair)}": when},
        "$max": {"lastSeen": when},
        "$addToSet": {"regions": delta.region, "pairs": pair},
        "$push": {"applied": {"$each": [delta.event_id], "$slice": -APPLIED_WINDOW}},
    }
    if delta.size is not None:
        update["$addToSet"]["sizes"] = delta.size
        update["$min"][f"sizeFirst.{escape_key(delta.size)}"] = when
    if delta.principal is not None:
        update["$addToSet"]["actors"] = delta.principal
    if delta.cost is not None:
        _add_cost(update, delta.cost, delta.size)
    return update


def _add_cost(update: dict[str, Any], cost: float, size: str | None) -> None:
    micros = to_micros(cost)
    sums = {"count": 1, "totalMicros": micros, "totalSqMicros": square_micros(micros)}
    inc: dict[str, Any] = dict(sums)
    update["$max"]["max"] = cost
    if size is not None:
        prefix = f"sizeStats.{escape_key(size)}"
        inc.update({f"{prefix}.{name}": value for name, value in sums.items()})
        update["$max"][f"{prefix}.max"] = cost
    update["$inc"] = inc


@translate_driver_errors
class Baselines:
    """The baselines collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def get(self, tenant_id: str, key: BaselineKey) -> Baseline | None:
        """The baseline, or None when the tenant has none for this key yet."""
        raw = await self._col.find_one(
            {"_id": baseline_id(tenant_id, key), "tenantId": tenant_id}, {"applied": 0}
        )
        return from_document(raw) if raw else None

    async def apply(self, tenant_id: str, delta: BaselineDelta) -> bool:
        """Add one event to its baseline exactly once; False when it was already counted."""
        doc_id = baseline_id(tenant_id, delta.key)
        return await apply_once(self._col, doc_id, tenant_id, delta.event_id, update_for(delta))

    async def mark_expected(
        self, tenant_id: str, key: BaselineKey, size: str | None, principal: str | None
    ) -> None:
        """Feedback: this principal launching this size is expected (engine `mark_expected`)."""
        add: dict[str, Any] = {"expectedPairs": pair_key(principal, size)}
        if size is not None:
            add["expectedSizes"] = size
        if principal is not None:
            add["expectedActors"] = principal
        await self._col.update_one(
            {"_id": baseline_id(tenant_id, key), "tenantId": tenant_id},
            {"$addToSet": add, "$setOnInsert": _identity(key)},
            upsert=True,
        )

    async def set_sensitivity(
        self, tenant_id: str, key: BaselineKey, sensitivity: Sensitivity
    ) -> None:
        """Score this baseline at another sensitivity from now on."""
        await self._col.update_one(
            {"_id": baseline_id(tenant_id, key), "tenantId": tenant_id},
            {"$set": {"sensitivity": sensitivity}, "$setOnInsert": _identity(key)},
            upsert=True,
        )

    async def for_tenant(self, tenant_id: str, account_id: str | None = None) -> list[Baseline]:
        """The tenant's baselines (optionally one account's)."""
        query: dict[str, Any] = {"tenantId": tenant_id}
        if account_id is not None:
            query["accountId"] = account_id
        return [from_document(raw) async for raw in self._col.find(query)]

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Delete every baseline of one of the tenant's accounts (disconnect); how many went."""
        result = await self._col.delete_many({"tenantId": tenant_id, "accountId": account_id})
        return int(result.deleted_count)


def _identity(key: BaselineKey) -> dict[str, Any]:
    return {
        "accountId": key.account_id,
        "service": key.service,
        "resourceType": key.resource_type,
        "version": BASELINE_VERSION,
    }
