"""Score one cost event: cost bands, the safety net, z-score, novelty and the detectors.

Pure: `evaluate(event, state, now)` returns a `Verdict` from the state before the event (its
baseline, its principal's and its account's profiles); the caller applies the event's deltas
afterwards (`engine.process.learning`), so an event is never compared with itself.

- Cold start (baseline < 14 days or < 20 events): the seed's $/h bands (fast path), except that a
  repeat of a (principal, size) pattern first seen > `recurrence_hours` ago waits for the digest.
- Mature: z-score + size/actor/region novelty -> composite; at `alert_score` at least warning,
  whatever the cost band (the band raises it), escalated at `escalate_score`.
- Always: a strong detector finding (new region, count or rate burst, size jump, never-seen IAM
  user or root, unfamiliar network) is at least warning; > $25/h and a (principal, size) pair
  never seen is critical (safety net, not behind any switch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from engine.baselines import Baseline, Stats, first_seen_of, pair_key
from engine.commitments import commitment_anomaly
from engine.detectors import DETECTORS, Finding, State, findings, with_rates
from engine.models import COST_INCREASING, Anomaly, CostEvent
from engine.profiles import hours_span
from engine.sizes import sibling
from engine.thresholds import DEFAULT_THRESHOLDS, Level, Thresholds, band, escalate

Phase = Literal["unscored", "cold-start", "mature"]


class Signals(NamedTuple):
    """The statistical and novelty signals of one event, and the detectors that fired."""

    z: float | None = None
    reference_mean: float | None = None
    size_novel: bool = False
    actor_novel: bool = False
    region_novel: bool = False
    expected: bool = False
    pair_seen: bool = False
    fired: tuple[str, ...] = ()
    """Names of the detectors that fired (engine.detectors), in their order."""
    rate_window: int = 0
    """The principal's calls in the rate window, this one included."""
    rate_settled: int = 0
    """The busiest window of the principal's settled history (what the profile learns)."""
    repeat: bool = False
    """The principal launched this size here more than `recurrence_hours` ago (learning)."""
    above_max: bool = False
    """The cost is `z_above_max` times the reference's largest: z may count."""
    above_mean: bool = True
    max_ratio: float | None = None
    """The cost over the baseline's largest (None without a priced history)."""
    """The cost is above the baseline's mean: a new size then counts (a cheaper one does not)."""


class Verdict(NamedTuple):
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


def _size_known(event: CostEvent, b: Baseline, settled: datetime) -> bool:
    """Seen here before `settled` (the recurrence window), marked expected, or a sibling size."""
    size = event.size
    if size is None or size in b.expected_sizes:
        return True
    first = first_seen_of(b.size_first, b.sizes, size, b.first_seen)
    if first is not None and first <= settled:
        return True
    return sibling(size, b.sizes) is not None


def _repeat(b: Baseline, pair: str, settled: datetime) -> bool:
    first = first_seen_of(b.pair_first, b.pairs, pair, b.first_seen)
    return first is not None and first <= settled


def _expected(event: CostEvent, baseline: Baseline | None) -> bool:
    if baseline is None or not baseline.expected_pairs:
        return False
    return pair_key(event.actor.principal_arn, event.size) in baseline.expected_pairs


def signals_for(
    event: CostEvent,
    baseline: Baseline | None,
    t: Thresholds,
    now: datetime | None = None,
    found: tuple[Finding, ...] = (),
    state: State | None = None,
) -> Signals:
    """Novelty (against what the baseline has seen), the z-score, and what the detectors found."""
    fired = tuple(f.signal for f in found)
    window, settled = (state.window, state.settled) if state else (0, 0)
    if baseline is None:
        return Signals(
            size_novel=event.size is not None, actor_novel=True, region_novel=True,
            fired=fired, rate_window=window, rate_settled=settled,
        )  # fmt: skip
    now = now or event.event_time
    principal = event.actor.principal_arn
    pair = pair_key(principal, event.size)
    expected = pair in baseline.expected_pairs
    actor_known = principal in baseline.actors or principal in baseline.expected_actors
    z = mean = None
    above = False
    if event.estimated_hourly_cost is not None and baseline.stats.count:
        ref, own = _reference(baseline, event.size, t)
        # An expected pattern is only compared with its own size's history.
        if own or not expected:
            z, mean = _z(event.estimated_hourly_cost, ref, t), ref.mean
            above = event.estimated_hourly_cost > ref.max * t.z_above_max
    cost = event.estimated_hourly_cost or 0.0
    recurred = now - hours_span(t.recurrence_hours)
    return Signals(
        above_max=above,
        above_mean=cost >= baseline.stats.mean,
        max_ratio=cost / baseline.stats.max if baseline.stats.max > 0 else None,
        z=z,
        reference_mean=mean,
        size_novel=not _size_known(event, baseline, recurred),
        actor_novel=not actor_known,
        region_novel=event.region not in baseline.regions,
        expected=expected,
        pair_seen=pair in baseline.pairs,
        repeat=_repeat(baseline, pair, recurred),
        fired=fired,
        rate_window=window,
        rate_settled=settled,
    )


def _z_points(signals: Signals, z_threshold: float) -> float:
    if signals.z is None or signals.z < z_threshold or not signals.above_max:
        return 0.0
    return min(1.0, 0.6 + 0.4 * (signals.z - z_threshold) / z_threshold)


def composite(signals: Signals, z_threshold: float, t: Thresholds) -> float:
    """Weighted sum of the baseline's signals, 0..1 (detectors' weak findings add to it)."""
    if signals.expected:
        return t.weight_z * _z_points(signals, z_threshold * t.expected_z_factor)
    return (
        t.weight_z * _z_points(signals, z_threshold)
        + t.weight_size * (signals.size_novel and signals.above_mean)
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
    if s.z is None or s.reference_mean is None or s.z < z_threshold or not s.above_max:
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


_ORDER: dict[Level, int] = {"info": 0, "warning": 1, "critical": 2}


def _at_least(level: Level | None, floor: Level) -> Level:
    return floor if level is None or _ORDER[level] < _ORDER[floor] else level


SIGNAL_NAMES: tuple[str, ...] = (
    "commitment",
    "safetyNet",
    "costBand",
    *DETECTORS,
    "zOutlier",
    "sizeNovelty",
    "actorNovelty",
    "regionNovelty",
)
"""The signals an anomaly can name, strongest first (`Anomaly.signals[name] == 1.0`)."""


def fired_signals(anomaly: Anomaly) -> list[str]:
    """The names of the signals that made the verdict (for reports and cards)."""
    return [name for name in SIGNAL_NAMES if anomaly.signals.get(name, 0.0) >= 1.0]


def _signal_map(
    signals: Signals, cost: float, found: tuple[Finding, ...], **flags: bool
) -> dict[str, float]:
    out = {
        "zScore": round(signals.z, 2) if signals.z is not None else 0.0,
        "sizeNovelty": float(signals.size_novel),
        "actorNovelty": float(signals.actor_novel),
        "regionNovelty": float(signals.region_novel),
        "hourlyRate": cost,
    }
    out.update({f.signal: 1.0 for f in found})
    out.update({name: 1.0 for name, on in flags.items() if on})
    return out


def _cold_band(event: CostEvent, signals: Signals, t: Thresholds) -> Level | None:
    """The cost band, unless expected or a repeat of a pattern already seen (then the digest)."""
    if signals.expected:
        return None
    level = band(event.estimated_hourly_cost or 0.0, t)
    if level in ("warning", "critical") and _quiet_repeat(signals, t):
        return "info"
    return level


def _quiet_repeat(signals: Signals, t: Thresholds) -> bool:
    """A repeat of a known (principal, size) pattern, unless it costs more than
    `repeat_scale_factor` x the baseline's largest: a service its creator scales x20 is no
    repeat (docs/decisions/0007-commitments-floor.json)."""
    ratio = signals.max_ratio
    return signals.repeat and (ratio is None or ratio <= t.repeat_scale_factor)


def _learning_reason(event: CostEvent, level: Level, s: Signals, days: float, count: int,
                     t: Thresholds) -> str:  # fmt: skip
    cost = event.estimated_hourly_cost or 0.0
    if _quiet_repeat(s, t):
        return (
            f"{_money(cost)}: {event.actor.principal_arn} launched {event.size} here before; "
            "a repeat during learning waits for the digest"
        )
    limit = {"info": t.info_usd, "warning": t.warning_usd, "critical": t.critical_usd}[level]
    seen = (
        f"{count} of {t.maturity_events} events" if count < t.maturity_events else f"{count} events"
    )
    return (
        f"{_money(cost)} is above the ${limit:g}/h {level} threshold while this account's "
        f"{event.resource_type} baseline is learning ({days:.0f} of {t.maturity_days:.0f} days, "
        f"{seen})"
    )


def _strong(found: tuple[Finding, ...]) -> bool:
    for f in found:
        if f.strong:
            return True
    return False


def _cold(event: CostEvent, state: State, now: datetime, t: Thresholds) -> Verdict:
    baseline = state.baseline
    cost = event.estimated_hourly_cost or 0.0
    found = findings(event, state, t, _expected(event, baseline))
    signals = signals_for(event, baseline, t, now, found, state)
    days = baseline.age_days(now) if baseline else 0.0
    count = baseline.stats.count if baseline else 0
    banded = _cold_band(event, signals, t)
    level = _at_least(banded, "warning") if _strong(found) else banded
    if level is None:
        return Verdict(None, "cold-start", signals, days, count, fast_path=False)
    reasons = [f.reason for f in found]
    if banded is not None:
        reasons.append(_learning_reason(event, banded, signals, days, count, t))
    reasons += _novelty_reasons(event, signals)
    anomaly = Anomaly(
        severity=level,
        score=round(min(1.0, max(cost / t.critical_usd, 0.5 if found else 0.0)), 3),
        reasons=tuple(reasons),
        signals=_signal_map(signals, cost, found, costBand=banded is not None),
    )
    fast = banded in ("warning", "critical")
    return Verdict(anomaly, "cold-start", signals, days, count, fast_path=fast)


def _mature_level(cost: float, score: float, strong: bool, t: Thresholds) -> Level | None:
    if score < t.alert_score and not strong:
        return None
    level = _at_least(band(cost, t), "warning")
    if score >= t.escalate_score:
        level = escalate(level)
    return level


def _mature(event: CostEvent, state: State, now: datetime, t: Thresholds) -> Verdict:
    baseline = state.baseline
    assert baseline is not None  # noqa: S101 - callers check maturity first
    cost = event.estimated_hourly_cost or 0.0
    found = findings(event, state, t, _expected(event, baseline))
    signals = signals_for(event, baseline, t, now, found, state)
    z_threshold = t.z[baseline.sensitivity]
    score = min(1.0, composite(signals, z_threshold, t) + sum(f.weight for f in found))
    strong = _strong(found)
    level = _mature_level(cost, score, strong, t)
    reasons: list[str] = []
    net = _safety_net_applies(event, signals, t)
    if net:
        level = "critical"
        reasons.append(_safety_reason(event, t))
    days, count = baseline.age_days(now), baseline.stats.count
    if level is None:
        return Verdict(None, "mature", signals, days, count)
    reasons += [f.reason for f in found]
    reasons += _z_reason(signals, z_threshold * (t.expected_z_factor if signals.expected else 1))
    if not signals.expected:
        reasons += _novelty_reasons(event, signals)
    floor = 1.0 if net else (0.5 if strong else 0.0)
    anomaly = Anomaly(
        severity=level,
        score=round(max(score, floor), 3),
        reasons=tuple(reasons),
        signals=_signal_map(
            signals, cost, found, safetyNet=net, zOutlier=_z_points(signals, z_threshold) > 0
        ),
    )
    return Verdict(anomaly, "mature", signals, days, count, fast_path=net)


def evaluate(
    event: CostEvent,
    state: State,
    now: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Verdict:
    """The verdict on one event, given the state before it (baseline and profiles) and the time."""
    verdict = _evaluate(event, state, now, thresholds)
    if event.commitment is None or event.action not in COST_INCREASING:
        return verdict
    anomaly = commitment_anomaly(event, verdict.anomaly, thresholds)
    if anomaly is verdict.anomaly:
        return verdict
    phase: Phase = "cold-start" if verdict.phase == "unscored" else verdict.phase
    return verdict._replace(anomaly=anomaly, phase=phase, fast_path=True, skipped_reason=None)


def _evaluate(event: CostEvent, state: State, now: datetime, thresholds: Thresholds) -> Verdict:
    if event.action not in COST_INCREASING:
        what = (
            "defines, starts nothing" if event.action == "configure" else "ends or pauses spending"
        )
        return _unscored(f"{event.action} {what}", state.baseline, now)
    if event.details.get("spotFulfilment"):
        return _unscored("Spot fulfilment: the request was scored", state.baseline, now)
    if event.estimated_hourly_cost is None:
        return _unscored(event.cost_note or "hourly cost unknown", state.baseline, now)
    state = with_rates(event, state, thresholds)
    baseline = state.baseline
    if baseline is not None and is_mature(baseline, now, thresholds):
        return _mature(event, state, now, thresholds)
    return _cold(event, state, now, thresholds)


def score_event(
    event: CostEvent,
    baseline: Baseline | None,
    now: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Verdict:
    """The verdict from the baseline alone (no principal or account profile)."""
    return evaluate(event, State(baseline=baseline), now, thresholds)
