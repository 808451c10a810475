"""Anomalies: one per scored event that crossed a threshold, with its status and alert state.

Status (what the team did): open -> snoozed (until a time) / expected / resolved.
Alert state (what the notifier did): pending -> sent (channel + ts) / suppressed / failed (reason).
The `_id` is the CloudTrail eventID, so an event raises at most one anomaly, however often it is
delivered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from engine import Anomaly as Verdict
from engine import CostEvent
from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "anomalies"

Status = Literal["open", "snoozed", "expected", "resolved"]
AlertState = Literal["pending", "sent", "suppressed", "failed"]
# What governance decided (recorded beside the severity, never instead of it).
Delivery = Literal["posted", "digest", "held-back", "paused", "kept", "dropped"]
OPEN: tuple[Status, ...] = ("open", "snoozed")
PUSHED = ("warning", "critical")  # info waits for the digest
EVERY_SEVERITY = ("info", "warning", "critical")


class SlackMessage(Document):
    """Where the alert was posted."""

    channel: str
    ts: str


class StoredAnomaly(Document):
    """An anomaly record."""

    id: str = Field(alias="_id")  # the CloudTrail eventID
    tenant_id: str
    account_id: str
    region: str
    service: str
    resource_type: str
    resource_ids: list[str] = Field(default_factory=list)
    size: str | None = None
    quantity: int = 1
    event_name: str
    event_time: datetime
    actor_arn: str | None = None
    principal_arn: str | None = None
    session_name: str | None = None
    estimated_hourly_cost: float | None = None
    cost_note: str | None = None
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    """The event's service-specific facts (an EKS node group's clusterName, …)."""
    severity: Literal["info", "warning", "critical"]
    score: float
    reasons: list[str] = Field(default_factory=list)
    created_at: datetime
    status: Status = "open"
    snooze_until: datetime | None = None
    status_by: str | None = None
    status_at: datetime | None = None
    alert_state: AlertState = "pending"
    alert_reason: str | None = None
    alert_attempts: int = 0
    claim_until: datetime | None = None
    slack: SlackMessage | None = None
    delivery: Delivery | None = None
    delivery_reason: str | None = None
    decided_at: datetime | None = None
    snooze_ended_at: datetime | None = None


def document_for(
    tenant_id: str, event: CostEvent, verdict: Verdict, now: datetime
) -> StoredAnomaly:
    """The anomaly record of a scored event."""
    return StoredAnomaly(
        _id=event.event_id,
        tenant_id=tenant_id,
        account_id=event.account_id,
        region=event.region,
        service=event.service,
        resource_type=event.resource_type,
        resource_ids=list(event.resource_ids),
        size=event.size,
        quantity=event.quantity,
        event_name=event.event_name,
        event_time=utc(event.event_time),
        actor_arn=event.actor.arn,
        principal_arn=event.actor.principal_arn,
        session_name=event.actor.session_name,
        estimated_hourly_cost=event.estimated_hourly_cost,
        cost_note=event.cost_note,
        details=dict(event.details),
        severity=verdict.severity,
        score=verdict.score,
        reasons=list(verdict.reasons),
        created_at=utc(now),
    )


def _filter(tenant_id: str, since: datetime | None, open_only: bool) -> dict[str, Any]:
    query: dict[str, Any] = {"tenantId": tenant_id}
    if since is not None:
        query["createdAt"] = {"$gte": utc(since)}
    if open_only:
        query["status"] = {"$in": list(OPEN)}
    return query


@translate_driver_errors
class Anomalies:
    """The anomalies collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def create(
        self, tenant_id: str, event: CostEvent, verdict: Verdict, now: datetime
    ) -> bool:
        """Record the event's anomaly (pending alert); False when it was recorded before."""
        try:
            await self._col.insert_one(document_for(tenant_id, event, verdict, now).to_mongo())
        except DuplicateKeyError:
            return False
        return True

    async def insert(self, document: StoredAnomaly) -> bool:
        """Record an anomaly built elsewhere (the usage watch); False when its id exists."""
        try:
            await self._col.insert_one(document.to_mongo())
        except DuplicateKeyError:
            return False
        return True

    async def get(self, tenant_id: str, anomaly_id: str) -> StoredAnomaly | None:
        """The anomaly, or None (also when it belongs to another tenant)."""
        raw = await self._col.find_one({"_id": anomaly_id, "tenantId": tenant_id})
        return StoredAnomaly.from_mongo(raw) if raw else None

    async def recent(
        self,
        tenant_id: str,
        *,
        since: datetime | None = None,
        open_only: bool = False,
        limit: int = 50,
        skip: int = 0,
    ) -> list[StoredAnomaly]:
        """The tenant's anomalies, newest first (`skip` for paging)."""
        query = _filter(tenant_id, since, open_only)
        cursor = self._col.find(query).sort("createdAt", -1).skip(skip).limit(limit)
        return [StoredAnomaly.from_mongo(raw) async for raw in cursor]

    async def count(
        self, tenant_id: str, *, open_only: bool = False, since: datetime | None = None
    ) -> int:
        """How many anomalies the tenant has (optionally only open or snoozed ones)."""
        return int(await self._col.count_documents(_filter(tenant_id, since, open_only)))

    async def pending(self, limit: int = 100) -> list[StoredAnomaly]:
        """Anomalies whose alert has not been delivered yet, oldest first (for the notifier)."""
        cursor = self._col.find({"alertState": "pending"}).sort("createdAt", 1).limit(limit)
        return [StoredAnomaly.from_mongo(raw) async for raw in cursor]

    async def claim_pending(
        self, now: datetime, lease: timedelta, severities: tuple[str, ...] = PUSHED
    ) -> StoredAnomaly | None:
        """Take the oldest undelivered anomaly for `lease` (one replica at a time), or None.

        Cross-tenant by design: the notifier serves every tenant. A claim that was not settled
        (the replica died while posting) can be taken again once its lease has passed.
        """
        raw = await self._col.find_one_and_update(
            {
                "alertState": "pending",
                "severity": {"$in": list(severities)},
                "$or": [{"claimUntil": None}, {"claimUntil": {"$lt": utc(now)}}],
            },
            {"$set": {"claimUntil": utc(now + lease)}},
            sort=[("createdAt", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return StoredAnomaly.from_mongo(raw) if raw else None

    async def set_alert_state(
        self,
        tenant_id: str,
        anomaly_id: str,
        state: AlertState,
        *,
        reason: str | None = None,
        slack: SlackMessage | None = None,
    ) -> None:
        """Record what the notifier did."""
        update: dict[str, Any] = {"alertState": state, "alertReason": reason, "claimUntil": None}
        if slack is not None:
            update["slack"] = slack.to_mongo()
        await self._col.update_one(
            {"_id": anomaly_id, "tenantId": tenant_id},
            {"$set": update, "$inc": {"alertAttempts": 1}},
        )

    async def set_status(
        self,
        tenant_id: str,
        anomaly_id: str,
        status: Status,
        now: datetime,
        *,
        by: str | None = None,
        snooze_until: datetime | None = None,
    ) -> bool:
        """Change the status (snooze, mark expected, resolve); False if there is no such anomaly."""
        result = await self._col.update_one(
            {"_id": anomaly_id, "tenantId": tenant_id},
            {
                "$set": {
                    "status": status,
                    "statusBy": by,
                    "statusAt": utc(now),
                    "snoozeUntil": utc(snooze_until) if snooze_until else None,
                }
            },
        )
        return bool(result.matched_count)

    async def open_for_resources(
        self, tenant_id: str, account_id: str, resource_ids: list[str]
    ) -> list[StoredAnomaly]:
        """Open or snoozed anomalies of the account that name any of these resources."""
        cursor = self._col.find(
            {
                "tenantId": tenant_id,
                "accountId": account_id,
                "status": {"$in": list(OPEN)},
                "resourceIds": {"$in": resource_ids},
            }
        )
        return [StoredAnomaly.from_mongo(raw) async for raw in cursor]

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Delete every anomaly of one of the tenant's accounts (disconnect); how many went."""
        result = await self._col.delete_many({"tenantId": tenant_id, "accountId": account_id})
        return int(result.deleted_count)

    async def record_delivery(
        self, tenant_id: str, anomaly_id: str, delivery: Delivery, reason: str, now: datetime
    ) -> None:
        """Record governance's decision beside the verdict (the severity is left as it is)."""
        await self._col.update_one(
            {"_id": anomaly_id, "tenantId": tenant_id},
            {"$set": {"delivery": delivery, "deliveryReason": reason, "decidedAt": utc(now)}},
        )

    async def snoozed_pattern(
        self,
        tenant_id: str,
        account_id: str,
        principal_arn: str | None,
        resource_type: str,
        now: datetime,
    ) -> StoredAnomaly | None:
        """A snoozed anomaly of the same pattern (account, principal, type) still snoozed now."""
        raw = await self._col.find_one(
            {
                "tenantId": tenant_id,
                "accountId": account_id,
                "principalArn": principal_arn,
                "resourceType": resource_type,
                "status": "snoozed",
                "snoozeUntil": {"$gt": utc(now)},
            }
        )
        return StoredAnomaly.from_mongo(raw) if raw else None

    async def expired_snoozes(self, now: datetime, limit: int = 200) -> list[StoredAnomaly]:
        """Snoozed anomalies of every tenant whose snooze has ended (the expiry job)."""
        cursor = self._col.find({"status": "snoozed", "snoozeUntil": {"$lte": utc(now)}}).limit(
            limit
        )
        return [StoredAnomaly.from_mongo(raw) async for raw in cursor]

    async def reopen(self, tenant_id: str, anomaly_id: str, now: datetime) -> bool:
        """A snoozed anomaly whose snooze ended is open again; False when it was not snoozed."""
        result = await self._col.update_one(
            {"_id": anomaly_id, "tenantId": tenant_id, "status": "snoozed"},
            {
                "$set": {
                    "status": "open",
                    "statusBy": "snooze ended",
                    "statusAt": utc(now),
                    "snoozeEndedAt": utc(now),
                }
            },
        )
        return bool(result.modified_count)

    async def delivered_as(
        self, tenant_id: str, delivery: Delivery, since: datetime, limit: int = 1000
    ) -> list[StoredAnomaly]:
        """The tenant's anomalies governance decided `delivery` for since a time, newest first."""
        cursor = (
            self._col.find(
                {"tenantId": tenant_id, "delivery": delivery, "decidedAt": {"$gte": utc(since)}}
            )
            .sort("createdAt", -1)
            .limit(limit)
        )
        return [StoredAnomaly.from_mongo(raw) async for raw in cursor]

    async def account_counts(self, tenant_id: str, account_id: str) -> tuple[int, int]:
        """(anomalies, of which marked expected) of one account: the false-positive measure."""
        query = {"tenantId": tenant_id, "accountId": account_id}
        total = await self._col.count_documents(query)
        expected = await self._col.count_documents(query | {"status": "expected"})
        return int(total), int(expected)

    async def page(
        self,
        tenant_id: str,
        *,
        after: tuple[datetime, str] | None = None,
        filters: dict[str, Any] | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[StoredAnomaly]:
        """The tenant's anomalies newest first (createdAt, then id), strictly after the cursor
        `after` = (createdAt, id) of the last one seen: new anomalies never shift a page.

        `filters` holds equality matches on stored fields (status, severity, accountId).
        """
        query: dict[str, Any] = {**(filters or {}), "tenantId": tenant_id}
        if since is not None:
            query["createdAt"] = {"$gte": utc(since)}
        if after is not None:
            at, last_id = utc(after[0]), after[1]
            query["$or"] = [{"createdAt": {"$lt": at}}, {"createdAt": at, "_id": {"$lt": last_id}}]
        cursor = self._col.find(query).sort([("createdAt", -1), ("_id", -1)]).limit(limit)
        return [StoredAnomaly.from_mongo(raw) async for raw in cursor]
