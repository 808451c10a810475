"""What the engine may ask about resources an event names but does not describe.

StartInstances names instance ids, PutProvisionedConcurrencyConfig a function, an Auto Scaling
update a group: their type or memory size comes from an earlier event. The backtest keeps an
in-memory `Inventory`; the service will answer from its stored live-resource inventory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

from engine.models import COST_INCREASING, CostEvent


class KnownResource(NamedTuple):
    """What an earlier event told us about one resource."""

    size: str | None
    os: str | None = None
    engine: str | None = None
    multi_az: bool = False
    memory_mb: int | None = None
    architecture: str | None = None
    unit_hourly_cost: float | None = None
    quantity: int | None = None
    """Nodes or instances it runs (a Redshift cluster's nodes, an endpoint's instances)."""


class ResourceContext(Protocol):
    """Looks up a resource seen before; None when it is not known."""

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        """The resource, or None."""
        ...


_ENDED = frozenset({"terminate", "delete"})
Key = tuple[str, str, str, str]


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _known(event: CostEvent, previous: KnownResource | None) -> KnownResource:
    memory = _as_int(event.details.get("memoryMb"))
    arch = _as_str(event.details.get("architecture"))
    if previous is not None:
        memory = memory or previous.memory_mb
        arch = arch or previous.architecture
    return KnownResource(
        size=event.size or (previous.size if previous else None),
        os=event.pricing.os,
        engine=event.pricing.engine or (previous.engine if previous else None),
        multi_az=event.pricing.multi_az,
        memory_mb=memory,
        architecture=arch,
        unit_hourly_cost=event.unit_hourly_cost,
        quantity=event.quantity if len(event.resource_ids) <= 1 else 1,
    )


ResourceState = Literal["running", "stopped", "ended", "changed", "defined"]
"""`changed`: new size or cost, state as it was (running when the resource was unknown);
`defined`: a configuration (launch template, endpoint config) that runs nothing itself."""


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """What one event does to one resource of the live inventory."""

    account_id: str
    region: str
    resource_type: str
    resource_id: str
    state: ResourceState
    known: KnownResource | None = None
    hourly_cost: float | None = None
    """This resource's share of the event's hourly cost while it runs (None when unknown)."""


def known_from(event: CostEvent) -> KnownResource:
    """What the event itself says about the resources it names."""
    return _known(event, None)


def _share(event: CostEvent) -> float | None:
    if event.estimated_hourly_cost is None or not event.resource_ids:
        return None
    return event.estimated_hourly_cost / len(event.resource_ids)


def _state_of(event: CostEvent) -> ResourceState | None:
    if event.action in _ENDED:
        return "ended"
    if event.action == "stop":
        return "stopped"
    if event.action == "configure":
        return "defined" if event.size else None
    if event.action not in COST_INCREASING:
        return None
    if not (event.size or event.details or event.unit_hourly_cost):
        return None
    return "changed" if event.action == "modify" else "running"


def changes_for(event: CostEvent) -> tuple[ResourceChange, ...]:
    """The event's effect on the live inventory (what `Inventory.remember` does, as data)."""
    state = _state_of(event)
    if state is None:
        return ()
    priced = state in ("running", "changed")
    known = known_from(event) if priced or state == "defined" else None
    share = _share(event) if priced else None
    return tuple(
        ResourceChange(
            event.account_id, event.region, event.resource_type, rid, state, known, share
        )
        for rid in event.resource_ids
    )


class Inventory:
    """An in-memory ResourceContext that learns from the events it is shown."""

    def __init__(self) -> None:
        self._resources: dict[Key, KnownResource] = {}

    def __len__(self) -> int:
        return len(self._resources)

    def lookup(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> KnownResource | None:
        """The resource, or None."""
        return self._resources.get((account_id, region, resource_type, resource_id))

    def remember(self, event: CostEvent) -> None:
        """Learn what a launch or change created; forget what a terminate or delete ended."""
        for resource_id in event.resource_ids:
            key = (event.account_id, event.region, event.resource_type, resource_id)
            if event.action in _ENDED:
                self._resources.pop(key, None)
            elif event.action == "configure" and event.size:
                self._resources[key] = _known(event, None)
            elif event.action in COST_INCREASING and (event.size or event.details):
                self._resources[key] = _known(event, self._resources.get(key))
