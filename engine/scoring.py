"""Score one cost event against its baseline: cold-start bands, then z-score and novelty.

Pure: `score_event(event, baseline, now)` returns a `Verdict`; the caller applies the event's
`BaselineDelta` to the baseline afterwards, so an event is never compared with itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from engine.baselines import Baseline, Stats, pair_key
from engine.models import COST_INCREASING, Anomaly, CostEvent
from engine.thresholds import DEFAULT_THRESHOLDS, Level, Thresholds, band, escalate

Phase = Literal["unscored", "cold-start", "mature"]


@dataclass(frozen=True, slots=True)
class Signals:
    """The statistical and novelty signals of one event."""

    z: float | None = None
    reference_mean: float | None = None
    size_novel: bool = False
    actor_novel: bool = False
    region_novel: bool = False
    expected: bool = False
    pair_seen: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the scorer decided and why (feeds the anomaly record and the scoring span)."""

    anomaly: Anomaly | None
    phase: Phase
    signals: Signals
    baseline_days: float
    baseline_events: int
    fast_path: bool = False
    skipped_reason: str | None = None


def _unscored(reason: str, baseline: Baseline | None, now: datetime) -> Verdict:
    days = baseline.age_days(now) if baseline else 0.0
    count = baseline.stats.count if baseline else 0
    return Verdict(None, "unscored", Signals(), days, count, skipped_reason=reason)


def is_mature(baseline: Baseline | None, now: datetime, t: Thresholds) -> bool:
    """Old enough and with enough events to be scored statistically (Story 2.2)."""
    if baseline is None:
        return False
    return baseline.stats.count >= t.maturity_events and baseline.age_days(now) >= t.maturity_days


def _reference(baseline: Baseline, size: str | None, t: Thresholds) -> tuple[Stats, bool]:
    own = baseline.size_stats.get(size) if size else None
    if own is not None and own.count >= t.size_history_min:
        return own, True
    return baseline.stats, False


def _z(cost: float, ref: Stats, t: Thresholds) -> float:
    floor = max(ref.std, ref.mean * t.std_floor_ratio, t.std_floor_usd)
    return (cost - ref.mean) / floor


def signals_for(event: CostEvent, baseline: Baseline | None, t: Thresholds) -> Signals:
    """Novelty (against what the baseline has seen) and the z-score of the event's cost."""
    if baseline is None:
        return Signals(size_novel=event.size is not None, actor_novel=True, region_novel=True)
    principal = event.actor.principal_arn
    expected = event.size in baseline.expected_sizes and principal in baseline.expected_actors
    size_known = event.size is None or event.size in baseline.sizes
    size_known = size_known or event.size in baseline.expected_sizes
    actor_known = principal in baseline.actors or principal in baseline.expected_actors
    z = mean = None
    if event.estimated_hourly_cost is not None and baseline.stats.count:
        ref, own = _reference(baseline, event.size, t)
        # An expected pattern is only compared with its own size's history.
        if own or not expected:
            z, mean = _z(event.estimated_hourly_cost, ref, t), ref.mean
    return Signals(
        z=z,
        reference_mean=mean,
        size_novel=not size_known,
        actor_novel=not actor_known,
        region_novel=event.region not in baseline.regions,
        expected=expected,
        pair_seen=pair_key(principal, event.size) in baseline.pairs,
    )


def _z_points(signals: Signals, z_threshold: float) -> float:
    if signals.z is None or signals.z < z_threshold:
        return 0.0
    return min(1.0, 0.6 + 0.4 * (signals.z - z_threshold) / z_threshold)


def composite(signals: Signals, z_threshold: float, t: Thresholds) -> float:
    """Weighted sum of the signals, 0..1."""
    if signals.expected:
        return t.weight_z * _z_points(signals, z_threshold * t.expected_z_factor)
    return (
        t.weight_z * _z_points(signals, z_threshold)
        + t.weight_size * signals.size_novel
        + t.weight_actor * signals.actor_novel
        + t.weight_region * signals.region_novel
    )


def _money(usd: float) -> str:
    return f"${usd:,.2f}/h" if usd >= 0.1 else f"${usd:.4f}/h"


def _novelty_reasons(event: CostEvent, s: Signals) -> list[str]:
    out: list[str] = []
    if s.size_novel:
        out.append(f"{event.size} never launched in this account")
    if s.actor_novel:
        out.append(f"first launch by {event.actor.principal_arn}")
    if s.region_novel:
        out.append(f"first {event.resource_type} launch in {event.region} for this account")
    return out


def _z_reason(s: Signals, z_threshold: float) -> list[str]:
    if s.z is None or s.reference_mean is None or s.z < z_threshold:
        return []
    return [f"{s.z:.1f}σ above the usual {_money(s.reference_mean)}"]


def _safety_net_applies(event: CostEvent, s: Signals, t: Thresholds) -> bool:
    cost = event.estimated_hourly_cost or 0.0
    return cost > t.safety_net_usd and not s.pair_seen and not s.expected


def _safety_reason(event: CostEvent, t: Thresholds) -> str:
    cost = event.estimated_hourly_cost or 0.0
    what = f"{event.quantity} × {event.size}" if event.quantity > 1 else str(event.size)
    return (
        f"{_money(cost)} is above the ${t.safety_net_usd:.0f}/h safety net and "
        f"{event.actor.principal_arn} has not launched {what} here before"
    )


def _cold(event: CostEvent, baseline: Baseline | None, now: datetime, t: Thresholds) -> Verdict:
    cost = event.estimated_hourly_cost or 0.0
    signals = signals_for(event, baseline, t)
    days = baseline.age_days(now) if baseline else 0.0
    count = baseline.stats.count if baseline else 0
    level = None if signals.expected else band(cost, t)
    if level is None:
        return Verdict(None, "cold-start", signals, days, count, fast_path=False)
    limit = {"info": t.info_usd, "warning": t.warning_usd, "critical": t.critical_usd}[level]
    seen = (
        f"{count} of {t.maturity_events} events" if count < t.maturity_events else f"{count} events"
    )
    reasons = [
        f"{_money(cost)} is above the ${limit:g}/h {level} threshold while this account's "
        f"{event.resource_type} baseline is learning ({days:.0f} of {t.maturity_days:.0f} days, "
        f"{seen})"
    ]
    reasons += _novelty_reasons(event, signals)
    anomaly = Anomaly(
        severity=level,
        score=round(min(1.0, cost / t.critical_usd), 3),
        reasons=tuple(reasons),
        signals={"hourlyRate": cost},
    )
    return Verdict(anomaly, "cold-start", signals, days, count, fast_path=True)


def _mature_level(cost: float, score: float, t: Thresholds) -> Level | None:
    if score < t.alert_score:
        return None
    level = band(cost, t)
    if level is not None and score >= t.escalate_score:
        level = escalate(level)
    return level


def _mature(event: CostEvent, baseline: Baseline, now: datetime, t: Thresholds) -> Verdict:
    cost = event.estimated_hourly_cost or 0.0
    signals = signals_for(event, baseline, t)
    z_threshold = t.z[baseline.sensitivity]
    score = composite(signals, z_threshold, t)
    level = _mature_level(cost, score, t)
    reasons: list[str] = []
    net = _safety_net_applies(event, signals, t)
    if net:
        level = "critical"
        reasons.append(_safety_reason(event, t))
    days, count = baseline.age_days(now), baseline.stats.count
    if level is None:
        return Verdict(None, "mature", signals, days, count)
    reasons += _z_reason(signals, z_threshold * (t.expected_z_factor if signals.expected else 1))
    if not signals.expected:
        reasons += _novelty_reasons(event, signals)
    anomaly = Anomaly(
        severity=level,
        score=round(max(score, 1.0 if net else 0.0), 3),
        reasons=tuple(reasons),
        signals={
            "zScore": round(signals.z, 2) if signals.z is not None else 0.0,
            "sizeNovelty": float(signals.size_novel),
            "actorNovelty": float(signals.actor_novel),
            "regionNovelty": float(signals.region_novel),
            "hourlyRate": cost,
        },
    )
    return Verdict(anomaly, "mature", signals, days, count, fast_path=net)


def score_event(
    event: CostEvent,
    baseline: Baseline | None,
    now: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Verdict:
    """The verdict on one event, given its baseline before the event and the current time."""
    if event.action not in COST_INCREASING:
        return _unscored(f"{event.action} ends or pauses spending", baseline, now)
    if event.details.get("spotFulfilment"):
        return _unscored("Spot fulfilment: the request was scored", baseline, now)
    if event.estimated_hourly_cost is None:
        return _unscored(event.cost_note or "hourly cost unknown", baseline, now)
    if baseline is not None and is_mature(baseline, now, thresholds):
        return _mature(event, baseline, now, thresholds)
    return _cold(event, baseline, now, thresholds)
