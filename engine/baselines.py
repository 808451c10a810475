"""Baselines: what is normal for one account x service x resource type, and how events update it.

An update is a `BaselineDelta` applied by `apply`. The same delta is what the storage layer turns
into one atomic MongoDB update ($inc, $max, $min, $addToSet), so the in-memory and stored
baselines cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal, NamedTuple

from engine.models import COST_INCREASING, CostEvent
from pricing.values import value_type

Sensitivity = Literal["low", "medium", "high"]
BASELINE_VERSION = 1


MICROS = 1_000_000


def to_micros(cost: float) -> int:
    """An hourly cost in whole micro-dollars (what baselines add up, exactly)."""
    return round(cost * MICROS)


def square_micros(micros: int) -> int:
    """The square of a micro-dollar amount, in micro-dollars squared per MICROS (rounded)."""
    return (micros * micros + MICROS // 2) // MICROS


@value_type
class Stats:
    """Count, sum, sum of squares and max of hourly costs.

    Sums are integers (micro-dollars), so they are exact: the same events give the same stats
    in any order, however the queue delivers them and whichever replica adds them.
    """

    count: int = 0
    total_micros: int = 0
    total_sq_micros: int = 0
    max: float = 0.0

    @property
    def total(self) -> float:
        """Sum of hourly costs in dollars."""
        return self.total_micros / MICROS

    @property
    def total_sq(self) -> float:
        """Sum of squared hourly costs in dollars squared."""
        return self.total_sq_micros / MICROS

    @property
    def mean(self) -> float:
        """Mean hourly cost (0 when empty)."""
        return self.total / self.count if self.count else 0.0

    @property
    def std(self) -> float:
        """Population standard deviation of hourly cost."""
        if self.count < 2:
            return 0.0
        mean = self.mean
        return math.sqrt(max(self.total_sq / self.count - mean * mean, 0.0))

    def add(self, cost: float) -> Stats:
        """These stats with one more observation."""
        micros = to_micros(cost)
        return Stats(
            self.count + 1,
            self.total_micros + micros,
            self.total_sq_micros + square_micros(micros),
            max(self.max, cost),
        )


def pair_key(principal: str | None, size: str | None) -> str:
    """The (principal, size) pattern as one string, as the safety net and feedback use it."""
    return f"{principal or '?'}|{size or '?'}"


class BaselineKey(NamedTuple):
    """Which baseline an event belongs to."""

    account_id: str
    service: str
    resource_type: str


_NO_STATS: Mapping[str, Stats] = MappingProxyType({})
_NO_TIMES: Mapping[str, datetime] = MappingProxyType({})


class Baseline(NamedTuple):
    """Everything the scorer knows about one account x service x resource type.

    Value types on the hot path are NamedTuples: immutable like a frozen dataclass, built
    several times faster (one event builds a baseline, its stats and a verdict).
    """

    key: BaselineKey
    stats: Stats = Stats()
    size_stats: Mapping[str, Stats] = _NO_STATS
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sizes: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()
    pairs: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    expected_sizes: frozenset[str] = frozenset()
    expected_actors: frozenset[str] = frozenset()
    sensitivity: Sensitivity = "medium"
    version: int = BASELINE_VERSION
    size_first: Mapping[str, datetime] = _NO_TIMES
    """When each size was first seen (a size is known once it recurs; see `first_seen_of`)."""
    pair_first: Mapping[str, datetime] = _NO_TIMES
    """When each (principal, size) pair was first seen."""
    expected_pairs: frozenset[str] = frozenset()
    """(principal, size) pairs a user marked expected: only these exact pairs are silenced."""

    def age_days(self, now: datetime) -> float:
        """Days since the first event (0 for an empty baseline)."""
        if self.first_seen is None:
            return 0.0
        return max((now - self.first_seen).total_seconds() / 86400.0, 0.0)


class BaselineDelta(NamedTuple):
    """One event's contribution to its baseline."""

    key: BaselineKey
    event_id: str
    event_time: datetime
    cost: float | None
    size: str | None
    principal: str | None
    region: str


def key_of(event: CostEvent) -> BaselineKey:
    """The baseline an event is scored against."""
    return BaselineKey(event.account_id, event.service, event.resource_type)


def delta_for(event: CostEvent) -> BaselineDelta | None:
    """What the event adds to its baseline; None for events that start no spending."""
    if event.action not in COST_INCREASING or event.details.get("spotFulfilment"):
        return None
    return BaselineDelta(
        key=key_of(event),
        event_id=event.event_id,
        event_time=event.event_time,
        cost=event.estimated_hourly_cost,
        size=event.size,
        principal=event.actor.principal_arn,
        region=event.region,
    )


def _with(values: frozenset[str], value: str | None) -> frozenset[str]:
    if value is None or value in values:
        return values
    return values | {value}


def first_seen_of(
    first: Mapping[str, datetime], legacy: frozenset[str], value: str, default: datetime | None
) -> datetime | None:
    """When `value` was first seen; values stored before first-seen times existed count as old."""
    when = first.get(value)
    if when is None and value in legacy:
        return default
    return when


def _earliest(
    first: Mapping[str, datetime], value: str | None, when: datetime
) -> Mapping[str, datetime]:
    if value is None or (value in first and first[value] <= when):
        return first
    return {**first, value: when}


def apply(baseline: Baseline | None, delta: BaselineDelta) -> Baseline:
    """The baseline after one event (a new object; the input is not changed)."""
    base = baseline or Baseline(key=delta.key)
    stats, size_stats = base.stats, base.size_stats
    if delta.cost is not None:
        stats = stats.add(delta.cost)
        if delta.size is not None:
            previous = size_stats.get(delta.size, Stats())
            size_stats = {**size_stats, delta.size: previous.add(delta.cost)}
    first, last = base.first_seen, base.last_seen
    pair = pair_key(delta.principal, delta.size)
    return Baseline(
        key=base.key,
        expected_sizes=base.expected_sizes,
        expected_actors=base.expected_actors,
        expected_pairs=base.expected_pairs,
        sensitivity=base.sensitivity,
        version=base.version,
        size_first=_earliest(base.size_first, delta.size, delta.event_time),
        pair_first=_earliest(base.pair_first, pair, delta.event_time),
        stats=stats,
        size_stats=size_stats,
        first_seen=delta.event_time if first is None or delta.event_time < first else first,
        last_seen=delta.event_time if last is None or delta.event_time > last else last,
        sizes=_with(base.sizes, delta.size),
        actors=_with(base.actors, delta.principal),
        pairs=_with(base.pairs, pair),
        regions=_with(base.regions, delta.region),
    )


def mark_expected(baseline: Baseline, size: str | None, principal: str | None) -> Baseline:
    """Feedback: this principal launching this size is expected here (that pair only).

    The size and the principal also stop counting as novel on their own; the pair is what
    silences an alert, so marking (m5.large, role/ci) and (p4d.24xlarge, user/alice) never
    silences a p4d.24xlarge launched by role/ci.
    """
    return baseline._replace(
        expected_sizes=_with(baseline.expected_sizes, size),
        expected_actors=_with(baseline.expected_actors, principal),
        expected_pairs=_with(baseline.expected_pairs, pair_key(principal, size)),
    )


def with_sensitivity(baseline: Baseline, sensitivity: Sensitivity) -> Baseline:
    """The same baseline scored at another sensitivity."""
    return baseline._replace(sensitivity=sensitivity)
