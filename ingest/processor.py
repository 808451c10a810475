"""The one event processor: normalise (priced from the inventory), then the durable steps.

    normalize(raw)          record -> CostEvent, remembering which resources it asked about
    reprice(...)            ask the inventory port for them, price again when it knows some
                            (from the parsed draft: the record is not parsed twice)
    EventSteps.run(...)     claim -> score -> learn -> record -> track -> done (ingest.steps)

The service (`ingest.pipeline.Pipeline`) runs these per SQS message over MongoDB; the backtest
(`ingest.backtest`) runs them per record over `ingest.memory.MemoryStore`. Same code path, so
the backtest is an exact rehearsal of production. One shortcut, with the same result: an
inventory held in this process (`LocalInventory`) is asked while the record is priced, so
`normalize` + `reprice` is one pass (`normalize_local`) instead of pricing a record twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, Protocol, runtime_checkable

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


@runtime_checkable
class LocalInventory(Protocol):
    """An inventory held in this process (the backtest's): it answers at once, no I/O."""

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        """What `InventoryPort.known` would answer for this one resource."""
        ...


class _Asking:
    """A ResourceContext asking a local inventory, remembering whether it knew anything."""

    def __init__(self, inventory: LocalInventory) -> None:
        self._inventory = inventory
        self.knew = False

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        found = self._inventory.lookup(account_id, region, resource_type, resource_id)
        self.knew = self.knew or found is not None
        return found


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


def normalize_local(
    raw: Any, catalogue: Catalogue, inventory: LocalInventory
) -> CostEvent | Skipped:
    """`normalize` then `reprice` in one pass, for an inventory that answers at once.

    The same result: with nothing known, the engine asks for every resource a record could
    be sized from (each lookup that finds nothing leads to the next), so the keys `reprice`
    fetches cover every key asked here; and a record that fails once something is known
    keeps its first, unsized event, as in `reprice` (tests/ingest/test_processor_local.py).
    """
    prepared = prepare_record(raw)
    if isinstance(prepared, Skipped):
        return prepared
    asking = _Asking(inventory)
    event = finish_record(raw, prepared, catalogue, asking)
    if isinstance(event, Skipped) and asking.knew:
        return finish_record(raw, prepared, catalogue, _Recording())
    return event


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
        resources = ports.resources
        self._local = resources if isinstance(resources, LocalInventory) else None
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
        event = await self._normalized(raw)
        if isinstance(event, Skipped):
            return event, None
        verdict = (await self.steps.run(self.tenant, event)).verdict
        if verdict is not None and verdict.anomaly is not None:
            event = event.model_copy(update={"anomaly": verdict.anomaly})
        return event, verdict

    async def _normalized(self, raw: Any) -> CostEvent | Skipped:
        """The record normalised and priced with what the inventory knows."""
        if self._local is not None:
            return normalize_local(raw, self.catalogue, self._local)
        first = normalize(raw, self.catalogue)
        if isinstance(first.event, Skipped):
            return first.event
        return await reprice(self.tenant, raw, first, self.catalogue, self.ports.resources)
