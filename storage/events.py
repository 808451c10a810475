"""Cost events: append-only, one document per CloudTrail eventID, with the pipeline's progress.

The document is the event's idempotency record. `claim` inserts it (the unique `_id` is the
eventID) before anything else happens; a redelivered or duplicate event finds it and resumes
from the last durable step with the stored event and the stored verdict, so a retry never
re-normalises against a changed inventory or re-scores against a baseline that already counts it.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from engine import Anomaly, CostEvent, Verdict
from engine.scoring import Signals
from storage._documents import Document, utc
from storage.errors import ForeignEventError

COLLECTION = "cost_events"
RETENTION = timedelta(days=400)


class Step(enum.IntEnum):
    """The pipeline steps, in order; a document records the last one that is durable."""

    STORED = 0
    SCORED = 1
    LEARNED = 2
    RECORDED = 3
    TRACKED = 4
    DONE = 5


class StoredEvent(Document):
    """A cost event as stored."""

    id: str = Field(alias="_id")
    tenant_id: str
    account_id: str
    event_time: datetime
    received_at: datetime
    expire_at: datetime
    event: dict[str, Any]
    step: int = Step.STORED
    verdict: dict[str, Any] | None = None
    digest: str | None = None
    """SHA-256 of the CloudTrail record's canonical JSON (None: stored before migration 0004)."""

    def cost_event(self) -> CostEvent:
        """The engine's event."""
        return CostEvent.model_validate(self.event)

    def stored_verdict(self) -> Verdict | None:
        """The verdict recorded when the event was scored, or None."""
        return verdict_from_dict(self.verdict) if self.verdict is not None else None


@dataclass(frozen=True, slots=True)
class Claim:
    """The stored event, whether this call created it, and whether the two differ in content."""

    stored: StoredEvent
    new: bool
    conflict: bool = False
    """Same eventID, another record (digests differ): the stored one is kept, this one is not."""


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    """A verdict as stored."""
    anomaly = verdict.anomaly.model_dump(mode="json") if verdict.anomaly else None
    return {
        "anomaly": anomaly,
        "phase": verdict.phase,
        "signals": asdict(verdict.signals),
        "baselineDays": verdict.baseline_days,
        "baselineEvents": verdict.baseline_events,
        "fastPath": verdict.fast_path,
        "skippedReason": verdict.skipped_reason,
    }


def _signals(raw: dict[str, Any]) -> Signals:
    known = {k: v for k, v in raw.items() if k in Signals.__dataclass_fields__}
    if "fired" in known:
        known["fired"] = tuple(known["fired"])
    return Signals(**known)


def verdict_from_dict(raw: dict[str, Any]) -> Verdict:
    """The inverse of `verdict_to_dict`."""
    anomaly = Anomaly.model_validate(raw["anomaly"]) if raw.get("anomaly") else None
    return Verdict(
        anomaly=anomaly,
        phase=raw["phase"],
        signals=_signals(raw.get("signals") or {}),
        baseline_days=raw.get("baselineDays", 0.0),
        baseline_events=raw.get("baselineEvents", 0),
        fast_path=raw.get("fastPath", False),
        skipped_reason=raw.get("skippedReason"),
    )


class Events:
    """The cost_events collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def claim(
        self, tenant_id: str, event: CostEvent, now: datetime, digest: str | None = None
    ) -> Claim:
        """Store the event, or find it when it was stored before (a duplicate or a retry).

        `digest` is the record's content digest: a duplicate whose digest differs from the
        stored one is a conflict (an event cannot change; someone may be hiding a launch).
        """
        doc = StoredEvent(
            _id=event.event_id,
            tenant_id=tenant_id,
            account_id=event.account_id,
            event_time=utc(event.event_time),
            received_at=utc(now),
            expire_at=utc(max(event.event_time, now) + RETENTION),
            event=event.to_json_dict(),
            digest=digest,
        )
        try:
            await self._col.insert_one(doc.to_mongo())
        except DuplicateKeyError:
            existing = await self.get(tenant_id, event.event_id)
            if existing is None:
                raise ForeignEventError(
                    f"event {event.event_id} is already stored for another tenant"
                ) from None
            differs = None not in (digest, existing.digest) and digest != existing.digest
            return Claim(existing, new=False, conflict=differs)
        return Claim(doc, new=True)

    async def get(self, tenant_id: str, event_id: str) -> StoredEvent | None:
        """The stored event, or None."""
        raw = await self._col.find_one({"_id": event_id, "tenantId": tenant_id})
        return StoredEvent.from_mongo(raw) if raw else None

    async def save_verdict(self, tenant_id: str, event_id: str, verdict: Verdict) -> Verdict:
        """Record the verdict once; a verdict recorded earlier wins and is returned."""
        await self._col.update_one(
            {"_id": event_id, "tenantId": tenant_id, "verdict": None},
            {"$set": {"verdict": verdict_to_dict(verdict), "step": int(Step.SCORED)}},
        )
        stored = await self.get(tenant_id, event_id)
        kept = stored.stored_verdict() if stored else None
        return kept or verdict

    async def advance(self, tenant_id: str, event_id: str, step: Step) -> None:
        """Record that `step` is durable (never moves backwards)."""
        await self._col.update_one(
            {"_id": event_id, "tenantId": tenant_id}, {"$max": {"step": int(step)}}
        )

    async def count(self, tenant_id: str, account_id: str | None = None) -> int:
        """How many events the tenant (or one of its accounts) has stored."""
        query: dict[str, Any] = {"tenantId": tenant_id}
        if account_id is not None:
            query["accountId"] = account_id
        return int(await self._col.count_documents(query))

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Delete every stored event of one of the tenant's accounts (disconnect); how many went."""
        result = await self._col.delete_many({"tenantId": tenant_id, "accountId": account_id})
        return int(result.deleted_count)

    async def recent(self, tenant_id: str, since: datetime, limit: int = 100) -> list[StoredEvent]:
        """The tenant's events since a time, newest first."""
        cursor = (
            self._col.find({"tenantId": tenant_id, "eventTime": {"$gte": utc(since)}})
            .sort("eventTime", -1)
            .limit(limit)
        )
        return [StoredEvent.from_mongo(raw) async for raw in cursor]
