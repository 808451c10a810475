"""The per-event pipeline: one SQS message in, its effects durable, then DONE.

    body -> JSON -> CloudTrail record(s) -> engine.normalize (priced from the live inventory)
         -> tenant (from the AWS account) -> store the event (unique eventID: the claim)
         -> score against the baseline, keep the verdict -> baseline += event (exactly once)
         -> anomaly record (pending alert) -> live inventory -> done

Every write is idempotent on the CloudTrail eventID and the event document records the last
durable step, so a duplicate, a redelivery or a crash between any two steps ends with the same
state as one clean pass. Input that can never succeed is POISON: recorded with its reason, left
for the queue's redrive policy to move to the DLQ. Storage failures propagate (RETRY).

Poison is decided on the first receive, never by retrying: bodies nested deeper than
`MAX_JSON_DEPTH`, times outside the engine's range, and — as a last line — any OverflowError or
RecursionError while handling a message (values no datetime or 64-bit integer can hold, shapes
too deep to walk). Those depend on the input alone, so a retry could only fail the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from engine import CostEvent, Skipped
from engine.normalize import record_digest
from engine.records import MAX_JSON_DEPTH, iter_records, json_depth
from ingest.messages import Message, Outcome, Result
from ingest.processor import normalize, reprice
from ingest.steps import EventSteps, SwitchPort
from pricing import Catalogue
from storage import ForeignEventError, Store, StoreUnavailableError
from storage.clock import utc_now
from telemetry.metrics import Metrics
from telemetry.tracing import MESSAGE_SPAN, Tracing

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
READY_TIMEOUT = 2.0
Fault = Callable[[str, str], None]
"""Called with (step, eventID) after each durable write; tests raise there to simulate crashes."""


class PoisonError(Exception):
    """The message can never be processed; the text says why."""


@dataclass
class PipelineStats:
    """Counters since start-up."""

    messages: int = 0
    records: int = 0
    events: int = 0
    duplicates: int = 0
    ignored: int = 0
    poison: int = 0
    unrouted: int = 0
    anomalies: int = 0
    conflicts: int = 0


def parse_body(body: str, max_bytes: int) -> list[Any]:
    """The CloudTrail records in a message body (bare, EventBridge envelope or log file)."""
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise PoisonError(f"oversized: {size} bytes (limit {max_bytes})")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PoisonError(f"not JSON: {exc}") from None
    if json_depth(parsed) > MAX_JSON_DEPTH:
        raise PoisonError(f"too deeply nested: more than {MAX_JSON_DEPTH} levels")
    records = list(iter_records(parsed))
    if not records:
        raise PoisonError("no CloudTrail record in the message")
    return records


class Pipeline:
    """Turns SQS messages into stored events, baselines, anomalies and inventory (a Handler)."""

    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        *,
        clock: Callable[[], datetime] = utc_now,
        auto_attach_tenant: str | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        fault: Fault | None = None,
        on_anomaly: Callable[[], None] | None = None,
        metrics: Metrics | None = None,
        switches: SwitchPort | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.tracing = tracing
        self.catalogue = catalogue
        self.clock = clock
        self.auto_attach_tenant = auto_attach_tenant
        self.max_body_bytes = max_body_bytes
        self.stats = PipelineStats()
        self._store_down = False
        self._steps = EventSteps(
            store,
            clock,
            self.stats,
            fault or (lambda step, event_id: None),
            on_anomaly=on_anomaly,
            switches=switches,
            tracing=tracing,
        )

    async def ready(self) -> bool:
        """False while MongoDB is unreachable, so the consumer stops receiving (ingest Gate)."""
        if not self._store_down:
            return True
        try:
            await asyncio.wait_for(self.store.ping(), timeout=READY_TIMEOUT)
        except (StoreUnavailableError, TimeoutError):
            return False
        logger.info("MongoDB reachable again: receiving")
        self._store_down = False
        return True

    async def handle(self, message: Message) -> Result:
        """Process every record of one message; DONE only when all their effects are durable."""
        if self.tracing is None:
            return await self._handle(message)
        with self.tracing.tracer.start_as_current_span(MESSAGE_SPAN) as span:
            result = await self._handle(message)
            span.set_attribute("messaging.message.id", message.message_id)
            span.set_attribute("dd0c.outcome", result.outcome.name)
            return result

    async def _handle(self, message: Message) -> Result:
        self.stats.messages += 1
        records: list[Any] = []
        try:
            records = parse_body(message.body, self.max_body_bytes)
            problems = [await self._record(raw) for raw in records]
        except PoisonError as exc:
            return await self._reject(message, str(exc), len(records))
        except (OverflowError, RecursionError) as exc:
            reason = f"unprocessable: {type(exc).__name__}: {exc}"
            return await self._reject(message, reason, len(records))
        except StoreUnavailableError:
            self._store_down = True
            self._count(len(records), failed=True)
            raise
        except Exception:
            self._count(len(records), failed=True)
            raise
        found = [(i, p) for i, p in enumerate(problems) if p is not None]
        if found:
            where = "" if len(records) == 1 else f"record {found[0][0] + 1} of {len(records)}: "
            return await self._reject(message, where + found[0][1], len(records))
        self._count(len(records), failed=False)
        return Result(Outcome.DONE)

    def _count(self, records: int, *, failed: bool) -> None:
        """EventsProcessed / EventsFailed (the platform stack's error-rate alarm reads them)."""
        if self.metrics is None:
            return
        records = max(records, 1)  # a body that never parsed is one failed event
        self.metrics.add("EventsProcessed", records)
        if failed:
            self.metrics.add("EventsFailed", records)

    async def _reject(self, message: Message, reason: str, records: int) -> Result:
        self.stats.poison += 1
        self._count(records, failed=True)
        if self.metrics is not None:
            self.metrics.add("EventsRejected")
        logger.warning(
            "rejected message: %s",
            reason,
            extra={"message_id": message.message_id, "group_id": message.group_id},
        )
        await self.store.rejects.record(
            message.message_id,
            message.body,
            reason,
            self.clock(),
            group_id=message.group_id,
            receive_count=message.receive_count,
        )
        return Result(Outcome.POISON, reason)

    async def _record(self, raw: Any) -> str | None:
        """Process one record; the reason it is malformed, or None when it is handled."""
        self.stats.records += 1
        first = normalize(raw, self.catalogue)
        if isinstance(first.event, Skipped):
            return self._skipped(first.event)
        if not first.event.account_id:
            return "no account id in the record (userIdentity.accountId / recipientAccountId)"
        tenant = await self._tenant(first.event)
        if tenant is None:
            return None
        event = await reprice(tenant, raw, first, self.catalogue, self.store.resources)
        digest = record_digest(raw)
        try:
            conflict = (await self._steps.run(tenant, event, digest)).conflict
        except ForeignEventError as exc:
            return str(exc)
        if conflict is not None:
            return await self._conflict(tenant, event, conflict.stored.digest, digest)
        return None

    async def _conflict(self, tenant: str, event: CostEvent, first: str | None, digest: str) -> str:
        """Record a duplicate eventID with other content (audit once); the reason to reject it.

        The first record is kept: an event cannot change, and a second record under a known
        eventID (a p4d.24xlarge after a t3.micro) is how an expensive launch could hide.
        """
        self.stats.conflicts += 1
        reason = (
            f"conflicting duplicate: event {event.event_id} is stored with content sha256 "
            f"{first}, this record has sha256 {digest}; the first is kept"
        )
        await self.store.audit.record(
            tenant,
            "ingest.conflicting-duplicate",
            reason,
            self.clock(),
            {
                "eventId": event.event_id,
                "accountId": event.account_id,
                "eventName": event.event_name,
                "size": event.size,
                "firstDigest": first,
                "digest": digest,
            },
            entry_id=f"conflict:{event.event_id}:{digest}",
        )
        return reason

    def _skipped(self, skipped: Skipped) -> str | None:
        if skipped.malformed:
            return skipped.reason
        self.stats.ignored += 1
        return None

    async def _tenant(self, event: CostEvent) -> str | None:
        """The tenant that connected the event's account; None (and audited) when none did."""
        account = await self.store.accounts.route(event.account_id)
        now = self.clock()
        if account is None and self.auto_attach_tenant is not None:
            await self.store.tenants.ensure(self.auto_attach_tenant, now)
            account = await self.store.accounts.attach(
                self.auto_attach_tenant, event.account_id, now, auto=True
            )
        if account is not None and account.status == "active":
            return account.tenant_id
        self.stats.unrouted += 1
        why = "not connected" if account is None else f"{account.status}"
        await self.store.audit.record(
            account.tenant_id if account else None,
            "ingest.dropped",
            f"event {event.event_id} for account {event.account_id} dropped: account {why}",
            now,
            {
                "eventId": event.event_id,
                "accountId": event.account_id,
                "eventName": event.event_name,
            },
        )
        return None
