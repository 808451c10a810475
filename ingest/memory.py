"""In-memory ports for the backtest: the same interface `EventSteps` uses on MongoDB.

The backtest runs the service's own processor (`ingest.steps.EventSteps`, `ingest.processor`) over
these dictionaries, so it is a rehearsal of production, not a second implementation: baselines and
profiles change through the engine's `apply`/`apply_profile` (the functions the MongoDB updates
mirror and are tested against), the live inventory applies the very update documents
`storage.resources.update_for` builds, and anomalies are the documents `storage.anomalies`
would insert. Nothing here does I/O; every method is async only to fit the port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import Anomaly, Baseline, BaselineDelta, BaselineKey, CostEvent, Verdict, apply
from engine.context import KnownResource, ResourceChange
from engine.profiles import Profile, ProfileDelta, ProfileKey, apply_profile
from storage.anomalies import OPEN, StoredAnomaly, document_for
from storage.events import Claim, Step, StoredEvent, verdict_from_dict, verdict_to_dict
from storage.resources import LiveResource, ResourceKey, update_for


class MemoryEvents:
    """Claims, steps and verdicts of events (the backtest has dropped duplicates already)."""

    def __init__(self) -> None:
        self._docs: dict[str, StoredEvent] = {}
        self._verdicts: dict[str, Verdict] = {}  # saved verdicts not yet turned into dicts

    async def claim(
        self, tenant_id: str, event: CostEvent, now: datetime, digest: str | None = None
    ) -> Claim:
        """Store the event, or find it (a duplicate; a conflict when the digests differ)."""
        found = self._docs.get(event.event_id)
        if found is not None:
            if event.event_id in self._verdicts:
                self._stored(found)
            differs = None not in (digest, found.digest) and digest != found.digest
            return Claim(found, new=False, conflict=differs)
        doc = StoredEvent(
            _id=event.event_id,
            tenant_id=tenant_id,
            account_id=event.account_id,
            event_time=event.event_time,
            received_at=now,
            expire_at=now,
            event={},
            digest=digest,
        )
        self._docs[event.event_id] = doc
        return Claim(doc, new=True)

    async def save_verdict(self, tenant_id: str, event_id: str, verdict: Verdict) -> Verdict:
        """Keep the first verdict (stored as MongoDB stores it; that round trip is lossless,
        which tests/ingest/test_pipeline.py checks against the real store path)."""
        doc = self._docs[event_id]
        if doc.verdict is None and event_id not in self._verdicts:
            self._verdicts[event_id] = verdict  # as a dict only if a duplicate claims it
            doc.step = max(doc.step, int(Step.SCORED))
            return verdict
        return verdict_from_dict(self._stored(doc))

    def _stored(self, doc: StoredEvent) -> dict[str, Any]:
        """The document's verdict as MongoDB stores it, converted when first needed."""
        kept = self._verdicts.pop(doc.id, None)
        if kept is not None:
            doc.verdict = verdict_to_dict(kept)
        assert doc.verdict is not None  # noqa: S101 - only called for a scored event
        return doc.verdict

    async def advance(self, tenant_id: str, event_id: str, step: Step) -> None:
        """Record a durable step."""
        doc = self._docs[event_id]
        doc.step = max(doc.step, int(step))

    def forget(self, event_ids: list[str]) -> None:
        """Drop finished events no duplicate can reach any more (the backtest's window)."""
        for event_id in event_ids:
            self._docs.pop(event_id, None)
            self._verdicts.pop(event_id, None)

    def __len__(self) -> int:
        return len(self._docs)


class MemoryBaselines:
    """Baselines in a dict, each delta applied once."""

    def __init__(self) -> None:
        self.items: dict[BaselineKey, Baseline] = {}
        self._applied: set[str] = set()

    async def get(self, tenant_id: str, key: BaselineKey) -> Baseline | None:
        """The baseline or None."""
        return self.items.get(key)

    async def apply(self, tenant_id: str, delta: BaselineDelta) -> bool:
        """Add one event once."""
        if delta.event_id in self._applied:
            return False
        self._applied.add(delta.event_id)
        self.items[delta.key] = apply(self.items.get(delta.key), delta)
        return True

    def forget(self, event_ids: list[str]) -> None:
        """Forget which events were applied, for events no duplicate can reach any more."""
        self._applied.difference_update(event_ids)


class MemoryProfiles:
    """Principal and account profiles in a dict, each delta applied once."""

    def __init__(self) -> None:
        self.items: dict[ProfileKey, Profile] = {}
        self._applied: dict[str, set[ProfileKey]] = {}

    async def get(self, tenant_id: str, key: ProfileKey) -> Profile | None:
        """The profile or None."""
        return self.items.get(key)

    async def apply(self, tenant_id: str, delta: ProfileDelta) -> bool:
        """Add one call once."""
        applied = self._applied.setdefault(delta.event_id, set())
        if delta.key in applied:
            return False
        applied.add(delta.key)
        self.items[delta.key] = apply_profile(self.items.get(delta.key), delta)
        return True

    def forget(self, event_ids: list[str]) -> None:
        """Forget which events were applied, for events no duplicate can reach any more."""
        for event_id in event_ids:
            self._applied.pop(event_id, None)


def _set_on(doc: dict[str, Any], update: dict[str, Any], new: bool) -> None:
    doc.update(update.get("$set", {}))
    if new:
        doc.update(update.get("$setOnInsert", {}))


def _known(doc: dict[str, Any]) -> KnownResource:
    """`LiveResource.from_mongo(doc).known()` without validating the document again: it holds
    only what `update_for` wrote, already of the right types (tests/ingest/test_memory.py)."""
    get = doc.get
    return KnownResource(
        get("size"), get("os"), get("engine"), get("multiAz", False), get("memoryMb"),
        get("architecture"), get("unitHourlyCost"), get("quantity"),
    )  # fmt: skip


class MemoryResources:
    """The live inventory: the same update documents as MongoDB, applied to dicts."""

    def __init__(self) -> None:
        self._docs: dict[ResourceKey, dict[str, Any]] = {}

    async def apply(
        self, tenant_id: str, change: ResourceChange, event_id: str, event_time: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        """Apply a change unless a newer event already touched the resource."""
        key = (change.account_id, change.region, change.resource_type, change.resource_id)
        doc = self._docs.get(key)
        if doc is not None and doc["lastEventTime"] > event_time:
            return False
        fresh = doc is None
        doc = doc if doc is not None else {"_id": "|".join(key), "tenantId": tenant_id}
        _set_on(doc, update_for(change, event_id, event_time, now), fresh)
        self._docs[key] = doc
        return True

    def expire(self, now: datetime) -> None:
        """Drop ended resources past their `expireAt`, as MongoDB's TTL index does for the
        service (30 days after the end): the backtest's inventory follows the live estate."""
        gone = [k for k, d in self._docs.items() if d.get("expireAt") and d["expireAt"] < now]
        for key in gone:
            del self._docs[key]

    def __len__(self) -> int:
        return len(self._docs)

    def _live(self, key: ResourceKey) -> LiveResource | None:
        doc = self._docs.get(key)
        return LiveResource.from_mongo(doc) if doc is not None else None

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        """What `known` answers for one resource, at once (`ingest.processor.LocalInventory`:
        the processor asks while it prices, instead of pricing a record again)."""
        doc = self._docs.get((account_id, region, resource_type, resource_id))
        return None if doc is None or doc.get("state") == "ended" else _known(doc)

    async def known(
        self, tenant_id: str, keys: list[ResourceKey]
    ) -> dict[ResourceKey, KnownResource]:
        """What the inventory knows of these resources (ended ones excluded)."""
        found: dict[ResourceKey, KnownResource] = {}
        for key in dict.fromkeys(keys):
            res = self._live(key)
            if res is not None and res.state != "ended":
                found[key] = res.known()
        return found

    async def running_count(self, tenant_id: str, keys: list[ResourceKey]) -> int:
        """How many of these resources are running now."""
        return sum(
            1 for key in dict.fromkeys(keys) if (r := self._live(key)) and r.state == "running"
        )


class MemoryAnomalies:
    """Anomaly records (the backtest reports them; nothing is delivered)."""

    def __init__(self) -> None:
        self.items: dict[str, StoredAnomaly] = {}
        # Open (or snoozed) anomalies by (account, resource id), each with its creation rank:
        # an ending event finds its anomalies without walking every one (the backtest keeps
        # every open anomaly of the archive, so a walk grew with it).
        self._open: dict[tuple[str, str], dict[str, int]] = {}
        self._rank: dict[str, int] = {}  # creation order, the order a walk of `items` gave
        self._next = 0

    async def create(
        self, tenant_id: str, event: CostEvent, anomaly: Anomaly, now: datetime
    ) -> bool:
        """Record once."""
        if event.event_id in self.items:
            return False
        stored = document_for(tenant_id, event, anomaly, now)
        self.items[event.event_id] = stored
        self._rank[stored.id] = self._next
        self._next += 1
        if stored.status in OPEN:
            self._index(stored, self._rank[stored.id])
        return True

    def _index(self, stored: StoredAnomaly, rank: int | None) -> None:
        """Add (rank) or remove (None) the anomaly in the open index."""
        for resource_id in stored.resource_ids:
            key = (stored.account_id, resource_id)
            if rank is not None:
                self._open.setdefault(key, {})[stored.id] = rank
                continue
            ranks = self._open.get(key)
            if ranks is not None:
                ranks.pop(stored.id, None)
                if not ranks:
                    del self._open[key]

    def forget(self, event_ids: list[str]) -> None:
        """Drop closed anomalies of events past the window (open ones stay: an end resolves
        them); the backtest's report gathers what it shows as the events stream past."""
        for event_id in event_ids:
            found = self.items.get(event_id)
            if found is not None and found.status not in OPEN:
                del self.items[event_id]
                del self._rank[event_id]

    async def open_for_resources(
        self, tenant_id: str, account_id: str, resource_ids: list[str]
    ) -> list[StoredAnomaly]:
        """Open or snoozed anomalies of the account that name any of these resources."""
        ranks: dict[str, int] = {}
        for resource_id in resource_ids:
            ranks.update(self._open.get((account_id, resource_id), {}))
        found = (self.items.get(anomaly_id) for anomaly_id in sorted(ranks, key=ranks.__getitem__))
        return [a for a in found if a is not None and a.status in OPEN]

    async def set_status(
        self, tenant_id: str, anomaly_id: str, status: Any, now: datetime, *, by: str | None = None
    ) -> bool:
        """Change the status (the backtest resolves anomalies whose resources ended)."""
        found = self.items.get(anomaly_id)
        if found is None:
            return False
        was_open = found.status in OPEN
        found.status, found.status_at, found.status_by = status, now, by
        if was_open and status not in OPEN:
            self._index(found, None)
        elif status in OPEN and not was_open:
            self._index(found, self._rank[found.id])
        return True


@dataclass
class MemoryStore:
    """The ports `EventSteps` needs, in memory (attribute names as on `storage.Store`)."""

    events: MemoryEvents = field(default_factory=MemoryEvents)
    baselines: MemoryBaselines = field(default_factory=MemoryBaselines)
    profiles: MemoryProfiles = field(default_factory=MemoryProfiles)
    resources: MemoryResources = field(default_factory=MemoryResources)
    anomalies: MemoryAnomalies = field(default_factory=MemoryAnomalies)

    def forget(self, event_ids: list[str]) -> None:
        """Per-event state of events past the backtest's duplicate window: memory follows the
        window, not the archive (baselines, profiles, inventory and anomalies stay)."""
        if event_ids:
            self.events.forget(event_ids)
            self.baselines.forget(event_ids)
            self.profiles.forget(event_ids)
            self.anomalies.forget(event_ids)
