"""What a parser extracts from one record, before actor, pricing and scoring are added."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.errors import NormalizeError
from engine.models import Action, Commitment, PricingModel, Volume
from engine.records import CloudTrailRecord
from pricing.values import value_type

Scalar = str | int | float | bool | None

# The largest value each number a parser produces may take; anything above, or below zero, is
# not a real AWS resource (and could not be stored as a 64-bit integer or priced sensibly).
MAX_COUNT = 100_000
"""Instances, nodes, concurrency, group sizes: far above any AWS quota, far below 2**63."""
MAX_GIB = 65_536
"""EBS and RDS storage top out at 64 TiB."""
LIMITS: dict[str, int] = {
    "memoryMb": 10_240,  # Lambda's maximum
    "allocatedStorageGiB": MAX_GIB,
    "iops": 256_000,  # io2 Block Express and RDS io2 maximum
    "storageThroughput": 10_000,  # MiB/s (RDS gp3 maximum is 4,000)
}


@value_type
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
    # (instance type, count) per group, for resources made of several groups (EMR, SageMaker).
    groups: tuple[tuple[str, int], ...] = ()
    # Money committed at once (reservations, Savings Plans); see engine.models.Commitment.
    commitment: Commitment | None = None

    def __post_init__(self) -> None:
        """The one check of every number a parser (or the inventory) produced."""
        check_number("quantity", self.quantity, MAX_COUNT)
        for volume in self.volumes:
            check_number("volume size (GiB)", volume.size_gib, MAX_GIB)
        for _, count in self.groups:
            check_number("instance count", count, MAX_COUNT)
        for key, value in self.details.items():
            if isinstance(value, int) and not isinstance(value, bool):
                check_number(key, value, LIMITS.get(key, MAX_COUNT))
            elif isinstance(value, float) and not 0 <= value <= MAX_COUNT:
                raise NormalizeError(f"{key} {value:g} out of range (0 to {MAX_COUNT:,})")

    def resized(self, size: str | None, quantity: int, os: str | None, note: str | None) -> Draft:
        """This draft with the type, count, OS and note the inventory filled in (engine.enrich).

        `dataclasses.replace` with these four, spelled out: it runs for most stops and
        terminates, and the generic one walks every field in Python (tests compare the two).
        """
        return Draft(
            action=self.action, service=self.service, resource_type=self.resource_type,
            resource_ids=self.resource_ids, size=size, quantity=quantity, model=self.model,
            os=os, engine=self.engine, multi_az=self.multi_az, volumes=self.volumes,
            details=self.details, note=note, groups=self.groups, commitment=self.commitment,
        )  # fmt: skip


def check_number(what: str, value: int, limit: int) -> None:
    """Raise NormalizeError unless 0 <= value <= limit (a cost is never negative)."""
    if not 0 <= value <= limit:
        digits = len(str(abs(value)))
        shown = f"{value:,}" if digits < 16 else f"{'-' if value < 0 else ''}~10^{digits - 1}"
        raise NormalizeError(f"{what} {shown} out of range (0 to {limit:,})")


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
