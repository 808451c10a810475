"""Every number the scorer uses, in one place. Changing one needs a decision log
(docs/decisions/) that states the measured effect on the scenario benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from engine.baselines import Sensitivity

Level = Literal["info", "warning", "critical"]


def _z_by_sensitivity() -> MappingProxyType[Sensitivity, float]:
    return MappingProxyType({"low": 3.5, "medium": 2.5, "high": 2.0})


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Scoring parameters (see docs/decisions/0001-scoring-thresholds.json)."""

    # Seed Story 2.2: absolute $/h bands while a baseline is cold.
    info_usd: float = 0.50
    warning_usd: float = 5.0
    critical_usd: float = 25.0
    # Seed Story 2.2: a baseline is cold while younger than this or with fewer events.
    maturity_days: float = 14.0
    maturity_events: int = 20
    # Always-on safety net: above this, critical unless the principal launched the size before.
    safety_net_usd: float = 25.0
    # Statistical scoring (Story 2.3).
    z: MappingProxyType[Sensitivity, float] = field(default_factory=_z_by_sensitivity)
    weight_z: float = 0.50
    weight_size: float = 0.30
    weight_actor: float = 0.15
    weight_region: float = 0.05
    alert_score: float = 0.30
    escalate_score: float = 0.70
    # A size's own history is the reference once it has this many priced events.
    size_history_min: int = 5
    # Standard deviation floor: a fraction of the mean, and an absolute $/h.
    std_floor_ratio: float = 0.25
    std_floor_usd: float = 0.01
    # An expected (marked) pattern alerts only this many times further out in z.
    expected_z_factor: float = 2.0
    # Issue 9 detectors (docs/decisions/0004-unusual-not-only-expensive.json).
    # A value (size, pair, region, network, client, principal) is known once first seen this
    # many hours before: a pattern is normal after it recurs, not the moment it first happens.
    recurrence_hours: float = 20.0
    # A principal's own history counts once it made this many cost-increasing calls.
    principal_min_calls: int = 3
    # Count burst: quantity >= factor x the principal's largest call for the type, and + extra.
    burst_factor: float = 4.0
    burst_min_extra: int = 4
    # Call-rate burst: calls in the window > factor x the principal's usual window, and >= min;
    # a principal without history needs the floor.
    rate_window_minutes: float = 10.0
    rate_factor: float = 2.0
    rate_min_calls: int = 5
    rate_floor_calls: int = 10
    # Size jump: this many doublings above the largest class of the baseline (with history
    # older than `recurrence_hours`: a service the account already ran).
    size_jump_steps: float = 3.0
    size_jump_min_events: int = 1
    # Unfamiliar origin counts only for principals that used at most this many networks / clients.
    origin_max_networks: int = 4
    origin_max_agents: int = 3
    # ... and made at least this many calls per network / client it used (concentrated history).
    origin_calls_per_value: int = 4
    # z counts only when the cost is above the reference's largest by this factor: a CI job that
    # sometimes launches 3 instead of 1 is within what it already did, however skewed.
    z_above_max: float = 1.5
    weight_agent: float = 0.20
    # Issue 14 commitments (docs/decisions/0007-commitments-floor.json): money committed at once
    # for a term. At least warning from this total (or when the total is unknown), critical
    # from the second.
    commitment_warning_usd: float = 1_000.0
    commitment_critical_usd: float = 100_000.0
    # A cold-start repeat of a (principal, size) pattern waits for the digest unless it costs
    # more than this many times the baseline's largest (a service scaled x20 by its creator).
    repeat_scale_factor: float = 10.0


DEFAULT_THRESHOLDS = Thresholds()


def band(cost: float, t: Thresholds) -> Level | None:
    """The absolute severity band of an hourly cost."""
    if cost > t.critical_usd:
        return "critical"
    if cost > t.warning_usd:
        return "warning"
    if cost > t.info_usd:
        return "info"
    return None


_UP: dict[Level, Level] = {"info": "warning", "warning": "critical", "critical": "critical"}


def escalate(level: Level) -> Level:
    """One severity level up."""
    return _UP[level]
