"""The durable steps of one cost event, each idempotent, resumable from the last one recorded.

    claim (store the event) -> score (keep the verdict) -> learn (baseline) -> record (anomaly)
    -> track (live inventory, resolve anomalies of ended resources) -> done

`fault(step, event_id)` is called after each durable write: tests and the chaos benchmark raise
there to prove that a crash anywhere leaves nothing half-counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from engine import CostEvent, Verdict
from engine.context import changes_for
from engine.detectors import DETECTORS, State
from engine.process import keys_for, learning
from engine.scoring import evaluate
from engine.thresholds import DEFAULT_THRESHOLDS, Thresholds
from flags.switches import Switched
from storage.events import Claim, Step, StoredEvent
from telemetry.tracing import SCORING_SPAN, scoring_attributes

if TYPE_CHECKING:
    from ingest.pipeline import PipelineStats
    from telemetry.tracing import Tracing

logger = logging.getLogger(__name__)

ENDING = frozenset({"stop", "terminate", "delete"})
STEPS = ("claimed", "scored", "learned", "recorded", "tracked", "done")


@dataclass(frozen=True, slots=True)
class StepResult:
    """What `EventSteps.run` did: the verdict, or the conflicting claim it refused."""

    verdict: Verdict | None
    conflict: Claim | None


class StepPorts(Protocol):
    """The state the steps use: `storage.Store` (MongoDB) or `ingest.memory.MemoryStore`."""

    @property
    def events(self) -> Any: ...
    @property
    def baselines(self) -> Any: ...
    @property
    def profiles(self) -> Any: ...
    @property
    def anomalies(self) -> Any: ...
    @property
    def resources(self) -> Any: ...


class SwitchPort(Protocol):
    """The flags for one workspace and account (flags.Switches; local, no network)."""

    async def switched(self, tenant: str, account: str) -> Switched:
        """The evaluated switches."""
        ...


class EventSteps:
    """Runs the steps of one event for one tenant."""

    def __init__(
        self,
        store: StepPorts,
        clock: Callable[[], datetime],
        stats: PipelineStats,
        fault: Callable[[str, str], None],
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        on_anomaly: Callable[[], None] | None = None,
        enabled: frozenset[str] = frozenset(DETECTORS),
        switches: SwitchPort | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.stats = stats
        self.fault = fault
        self.thresholds = thresholds
        self.enabled = enabled
        """The detectors switched on (engine.detectors.DETECTORS; the flags' seam)."""
        self.on_anomaly = on_anomaly or (lambda: None)
        """Called when an anomaly is recorded (the notifier's wake-up)."""
        self.switches = switches
        """Per-workspace flags (None: `enabled` and `thresholds` for everyone)."""
        self.tracing = tracing
        """Scoring spans (None: tracing off)."""
        self._fixed = Switched(enabled, frozenset(), thresholds)

    async def switched(self, tenant: str, account: str) -> Switched:
        """What the flags switch for this workspace and account."""
        if self.switches is None:
            return self._fixed
        return await self.switches.switched(tenant, account)

    async def run(self, tenant: str, event: CostEvent, digest: str | None = None) -> StepResult:
        """Take the event from wherever it stopped last time to done.

        The result carries the verdict (None for a duplicate of an event already done), or the
        claim when the stored event has other content than this one (a conflicting duplicate):
        nothing is done with it, the first is kept, and the caller records why.
        """
        switched = await self.switched(tenant, event.account_id)
        if not switched.parses(event.event_source, event.event_name):
            self.stats.ignored += 1  # a new parser not switched on for this workspace
            return StepResult(None, None)
        claim = await self.store.events.claim(tenant, event, self.clock(), digest)
        if claim.conflict:
            return StepResult(None, claim)
        stored = claim.stored
        if stored.step >= Step.DONE:
            self.stats.duplicates += 1
            return StepResult(None, None)
        self.fault("claimed", event.event_id)
        if claim.new:
            self.stats.events += 1
        else:
            event = stored.cost_event()
        verdict = await self._score(tenant, event, stored, switched)
        if stored.step < Step.LEARNED:
            await self._learn(tenant, event, verdict)
        if stored.step < Step.RECORDED:
            await self._record(tenant, event, verdict)
        if stored.step < Step.TRACKED:
            await self._track(tenant, event)
        await self.store.events.advance(tenant, event.event_id, Step.DONE)
        self.fault("done", event.event_id)
        return StepResult(verdict, None)

    async def state(
        self, tenant: str, event: CostEvent, enabled: frozenset[str] | None = None
    ) -> State:
        """The state before the event: its baseline, its principal's and account's profiles."""
        keys = keys_for(event)
        profiles = self.store.profiles
        return State(
            baseline=await self.store.baselines.get(tenant, keys.baseline),
            principal=await profiles.get(tenant, keys.principal) if keys.principal else None,
            account=await profiles.get(tenant, keys.account),
            enabled=self.enabled if enabled is None else enabled,
        )

    async def _score(
        self, tenant: str, event: CostEvent, stored: StoredEvent, switched: Switched
    ) -> Verdict:
        kept = stored.stored_verdict()
        if kept is not None:
            return kept
        state = await self.state(tenant, event, switched.enabled)
        verdict = self._evaluate(event, state, switched)
        verdict = await self.store.events.save_verdict(tenant, event.event_id, verdict)
        self.fault("scored", event.event_id)
        return verdict

    def _evaluate(self, event: CostEvent, state: State, switched: Switched) -> Verdict:
        """The engine's verdict, in an `anomaly_scoring` span when tracing is on."""
        if self.tracing is None:
            return evaluate(event, state, event.event_time, switched.thresholds)
        with self.tracing.tracer.start_as_current_span(SCORING_SPAN) as span:
            verdict = evaluate(event, state, event.event_time, switched.thresholds)
            span.set_attributes(
                scoring_attributes(event, verdict, switched.flags_on, self.tracing.hasher)
            )
        return verdict

    async def _learn(self, tenant: str, event: CostEvent, verdict: Verdict) -> None:
        """Baseline and profiles learn the event, each exactly once (idempotent upserts)."""
        taught = learning(event, verdict)
        if taught.baseline is not None:
            await self.store.baselines.apply(tenant, taught.baseline)
        for delta in taught.profiles:
            await self.store.profiles.apply(tenant, delta)
        if taught.baseline is not None or taught.profiles:
            self.fault("learned", event.event_id)
        await self.store.events.advance(tenant, event.event_id, Step.LEARNED)

    async def _record(self, tenant: str, event: CostEvent, verdict: Verdict) -> None:
        if verdict.anomaly is not None:
            if await self.store.anomalies.create(tenant, event, verdict.anomaly, self.clock()):
                self.stats.anomalies += 1
                self.on_anomaly()
                logger.info(
                    "anomaly recorded: %s %s %s in %s, $%s/h",
                    verdict.anomaly.severity,
                    event.event_name,
                    event.size or event.resource_type,
                    event.region,
                    event.estimated_hourly_cost,
                    extra={
                        "tenant_id": tenant,
                        "account_id": event.account_id,
                        "event_id": event.event_id,
                        "score": verdict.anomaly.score,
                    },
                )
            self.fault("recorded", event.event_id)
        await self.store.events.advance(tenant, event.event_id, Step.RECORDED)

    async def _track(self, tenant: str, event: CostEvent) -> None:
        for change in changes_for(event):
            await self.store.resources.apply(
                tenant, change, event.event_id, event.event_time, self.clock()
            )
        if event.action in ENDING and event.resource_ids:
            await self._resolve(tenant, event)
        self.fault("tracked", event.event_id)
        await self.store.events.advance(tenant, event.event_id, Step.TRACKED)

    async def _resolve(self, tenant: str, event: CostEvent) -> None:
        """Open anomalies whose resources are all stopped or gone now become resolved."""
        candidates = await self.store.anomalies.open_for_resources(
            tenant, event.account_id, list(event.resource_ids)
        )
        for anomaly in candidates:
            keys = [
                (anomaly.account_id, anomaly.region, anomaly.resource_type, rid)
                for rid in anomaly.resource_ids
            ]
            if await self.store.resources.running_count(tenant, keys) == 0:
                await self.store.anomalies.set_status(
                    tenant, anomaly.id, "resolved", self.clock(), by=f"event:{event.event_id}"
                )
