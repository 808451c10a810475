"""What a parser extracts from one record, before actor, pricing and scoring are added."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.models import Action, PricingModel, Volume
from engine.records import CloudTrailRecord

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Draft:
    """The cost-relevant facts of one API call."""

    action: Action
    service: str
    resource_type: str
    resource_ids: tuple[str, ...] = ()
    size: str | None = None
    quantity: int = 1
    model: PricingModel = "on-demand"
    os: str | None = None
    engine: str | None = None
    multi_az: bool = False
    volumes: tuple[Volume, ...] = ()
    details: dict[str, Scalar] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NotCost:
    """The record is well formed but starts or stops no spending; `reason` says why."""

    reason: str


Parser = Callable[[CloudTrailRecord], Draft | NotCost]


def ids(*values: object) -> tuple[str, ...]:
    """The non-empty string ids among `values`, in order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and value:
            seen[value] = None
    return tuple(seen)
