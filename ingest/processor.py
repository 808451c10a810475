"""The one event processor: normalise (priced from the inventory), then the durable steps.

    normalize(raw)          record -> CostEvent, remembering which resources it asked about
    reprice(...)            ask the inventory port for them, price again when it knows some
                            (from the parsed draft: the record is not parsed twice)
    EventSteps.run(...)     claim -> score -> learn -> record -> track -> done (ingest.steps)

The service (`ingest.pipeline.Pipeline`) runs these per SQS message over MongoDB; the backtest
(`ingest.backtest`) runs them per record over `ingest.memory.MemoryStore`. Same code path, so
the backtest is an exact rehearsal of production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from engine import CostEvent, KnownResource, Skipped, Thresholds, Verdict
from engine.detectors import DETECTORS
from engine.normalize import Prepared, finish_record, prepare_record
from engine.thresholds import DEFAULT_THRESHOLDS
from ingest.steps import EventSteps, StepPorts, SwitchPort
from pricing import Catalogue
from telemetry.tracing import Tracing

ResourceKey = tuple[str, str, str, str]


class _Recording:
    """A ResourceContext that knows nothing and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[ResourceKey] = []

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        self.asked.append((account_id, region, resource_type, resource_id))
        return None


class _Known:
    """A ResourceContext answering from resources fetched beforehand."""

    def __init__(self, found: dict[ResourceKey, KnownResource]) -> None:
        self._found = found

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        return self._found.get((account_id, region, resource_type, resource_id))


class InventoryPort(Protocol):
    """What the processor asks the live inventory."""

    async def known(
        self, tenant_id: str, keys: list[ResourceKey]
    ) -> dict[ResourceKey, KnownResource]:
        """What the inventory knows of these resources."""
        ...


class Normalized(NamedTuple):
    """A record normalised without inventory: the event (or why not), what it asked about, and
    the parsed draft `reprice` prices again when the inventory knows some of it."""

    event: CostEvent | Skipped
    asked: list[ResourceKey]
    prepared: Prepared | None = None


def normalize(raw: Any, catalogue: Catalogue) -> Normalized:
    """The record normalised without inventory, and the resources it asked about."""
    prepared = prepare_record(raw)
    if isinstance(prepared, Skipped):
        return Normalized(prepared, [])
    recording = _Recording()
    return Normalized(finish_record(raw, prepared, catalogue, recording), recording.asked, prepared)


async def reprice(
    tenant: str, raw: Any, first: Normalized, catalogue: Catalogue, inventory: InventoryPort
) -> CostEvent:
    """The event priced with what the inventory knows (a stored copy wins later anyway)."""
    event = first.event
    assert isinstance(event, CostEvent)  # noqa: S101 - callers reprice cost events only
    if not first.asked or first.prepared is None:
        return event
    found = await inventory.known(tenant, first.asked)
    if not found:
        return event
    again = finish_record(raw, first.prepared, catalogue, _Known(found))
    return again if isinstance(again, CostEvent) else event


class EventProcessor:
    """Records in, verdicts out, state in the given ports (the backtest's driver)."""

    def __init__(
        self,
        ports: StepPorts,
        catalogue: Catalogue,
        clock: Callable[[], datetime],
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        enabled: frozenset[str] = frozenset(DETECTORS),
        tenant: str = "backtest",
        switches: SwitchPort | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        from ingest.pipeline import PipelineStats

        self.ports = ports
        self.catalogue = catalogue
        self.tenant = tenant
        self.stats = PipelineStats()
        self.steps = EventSteps(
            ports,
            clock,
            self.stats,
            lambda step, event_id: None,
            thresholds,
            enabled=enabled,
            switches=switches,
            tracing=tracing,
        )

    async def process(self, raw: Any) -> tuple[CostEvent | Skipped, Verdict | None]:
        """One record through the service's path: the event (anomaly filled) and its verdict."""
        first = normalize(raw, self.catalogue)
        if isinstance(first.event, Skipped):
            return first.event, None
        event = await reprice(self.tenant, raw, first, self.catalogue, self.ports.resources)
        verdict = (await self.steps.run(self.tenant, event)).verdict
        if verdict is not None and verdict.anomaly is not None:
            event = event.model_copy(update={"anomaly": verdict.anomaly})
        return event, verdict
