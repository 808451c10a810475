"""Scoring: the seed's cold-start bands, the safety net, statistics, novelty and feedback."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import Baseline, apply, delta_for, key_of, mark_expected, score_event
from engine.baselines import with_sensitivity
from engine.models import CostEvent
from tests.engine.factories import T0, days, event

BOB = "arn:aws:iam::111122223333:user/bob"
CI = "arn:aws:iam::111122223333:role/ci"


def learn(events: list[CostEvent], baseline: Baseline | None = None) -> Baseline:
    """The baseline after these events."""
    for ev in events:
        delta = delta_for(ev)
        assert delta is not None
        baseline = apply(baseline, delta)
    assert baseline is not None
    return baseline


def mature(n: int = 40, cost: float = 0.096, size: str = "m5.large", who: str = CI) -> Baseline:
    """A baseline with n steady launches spread over 20 days."""
    return learn([event(cost, size=size, who=who, at=T0 + days(20 * i / n)) for i in range(n)])


NOW = T0 + days(21)


@pytest.mark.parametrize(
    ("cost", "severity"),
    [
        (0.10, None),
        (0.50, None),
        (0.51, "info"),
        (5.0, "info"),
        (5.01, "warning"),
        (25.0, "warning"),
        (25.01, "critical"),
        (98.32, "critical"),
    ],
)
def test_cold_start_uses_the_seed_bands(cost: float, severity: str | None) -> None:
    verdict = score_event(event(cost), None, T0)
    assert verdict.phase == "cold-start"
    got = verdict.anomaly.severity if verdict.anomaly else None
    assert got == severity


@pytest.mark.parametrize(
    ("n_events", "age_days", "phase"),
    [(19, 30, "cold-start"), (20, 13.9, "cold-start"), (20, 14, "mature"), (100, 60, "mature")],
)
def test_maturity_needs_14_days_and_20_events(n_events: int, age_days: float, phase: str) -> None:
    base = learn([event(at=T0 + days(age_days * i / n_events)) for i in range(n_events)])
    verdict = score_event(event(0.096), base, T0 + days(age_days))
    assert verdict.phase == phase


def test_cold_start_reason_says_learning_progress() -> None:
    base = learn([event(at=T0 + days(i)) for i in range(3)])
    verdict = score_event(event(32.77, size="p4d.24xlarge", who=BOB), base, T0 + days(3))
    assert verdict.anomaly is not None
    assert verdict.anomaly.severity == "critical"
    first = verdict.anomaly.reasons[0]
    assert "$32.77/h is above the $25/h critical threshold" in first
    assert "3 of 14 days, 3 of 20 events" in first
    assert "p4d.24xlarge never launched in this account" in verdict.anomaly.reasons
    assert f"first launch by {BOB}" in verdict.anomaly.reasons
    assert verdict.fast_path


def test_mature_usual_launch_is_quiet() -> None:
    verdict = score_event(event(0.096), mature(), NOW)
    assert verdict.phase == "mature"
    assert verdict.anomaly is None


def test_safety_net_makes_a_new_expensive_size_critical_in_a_mature_account() -> None:
    verdict = score_event(event(32.77, size="p4d.24xlarge", who=BOB), mature(), NOW)
    assert verdict.anomaly is not None
    assert verdict.anomaly.severity == "critical"
    assert verdict.fast_path
    assert any("safety net" in r for r in verdict.anomaly.reasons)
    assert "p4d.24xlarge never launched in this account" in verdict.anomaly.reasons


def test_safety_net_spares_a_principal_repeating_its_own_expensive_size() -> None:
    base = mature(cost=32.77, size="p4d.24xlarge", who=CI)
    verdict = score_event(event(32.77, size="p4d.24xlarge", who=CI), base, NOW)
    assert verdict.anomaly is None


def test_safety_net_still_fires_when_another_principal_launches_that_size() -> None:
    base = mature(cost=32.77, size="p4d.24xlarge", who=CI)
    verdict = score_event(event(32.77, size="p4d.24xlarge", who=BOB), base, NOW)
    assert verdict.anomaly is not None and verdict.anomaly.severity == "critical"


def test_z_score_flags_a_quantity_spike_of_a_usual_size() -> None:
    base = learn(
        [event(0.768 * (2 + i % 3), size="m5.4xlarge", at=T0 + days(i / 2)) for i in range(40)]
    )
    verdict = score_event(event(0.768 * 60, size="m5.4xlarge", quantity=60), base, NOW)
    assert verdict.anomaly is not None
    assert verdict.anomaly.severity == "critical"
    assert any("σ above the usual $2.28/h" in r for r in verdict.anomaly.reasons)


def test_size_novelty_alone_alerts_by_cost_band() -> None:
    verdict = score_event(event(8.0, size="r6i.8xlarge", who=CI), mature(), NOW)
    assert verdict.anomaly is not None
    assert verdict.anomaly.severity == "critical"  # novel size + >2x z escalates warning
    cheap = score_event(event(0.0104, size="t3.micro", who=CI), mature(), NOW)
    assert cheap.anomaly is None


def test_new_actor_with_a_usual_launch_is_not_an_alert() -> None:
    verdict = score_event(event(0.096, who=BOB), mature(), NOW)
    assert verdict.signals.actor_novel
    assert verdict.anomaly is None


def test_mark_expected_suppresses_the_pattern() -> None:
    base = mature()
    spike = event(8.0, size="r6i.8xlarge", who=BOB)
    assert score_event(spike, base, NOW).anomaly is not None
    taught = mark_expected(base, "r6i.8xlarge", BOB)
    assert score_event(spike, taught, NOW).anomaly is None
    other_actor = event(8.0, size="r6i.8xlarge", who="arn:aws:iam::111122223333:user/eve")
    assert score_event(other_actor, taught, NOW).anomaly is not None


def test_mark_expected_also_silences_cold_start_and_the_safety_net() -> None:
    base = learn([event(at=T0)])
    taught = mark_expected(base, "p4d.24xlarge", BOB)
    assert score_event(event(32.77, size="p4d.24xlarge", who=BOB), taught, T0).anomaly is None
    grown = mark_expected(mature(), "p4d.24xlarge", BOB)
    assert score_event(event(32.77, size="p4d.24xlarge", who=BOB), grown, NOW).anomaly is None


@pytest.mark.parametrize(("sensitivity", "alerts"), [("low", False), ("high", True)])
def test_sensitivity_moves_the_z_threshold(sensitivity: str, alerts: bool) -> None:
    base = learn([event(1.0 + (i % 2) * 0.5, at=T0 + days(i / 2)) for i in range(40)])
    base = with_sensitivity(base, sensitivity)  # type: ignore[arg-type]
    verdict = score_event(event(2.3), base, NOW)  # z = 3.4 (mean 1.25, floor 0.3125), > 1.5 x max
    assert (verdict.anomaly is not None) == alerts


@pytest.mark.parametrize("action", ["stop", "terminate", "delete"])
def test_ending_spend_is_not_scored(action: str) -> None:
    verdict = score_event(event(99.0, action=action), None, T0)
    assert verdict.phase == "unscored"
    assert verdict.anomaly is None


def test_unknown_cost_is_not_scored_and_says_why() -> None:
    verdict = score_event(event(None, cost_note="no EC2 price for x9.huge"), None, T0)
    assert verdict.anomaly is None
    assert verdict.skipped_reason == "no EC2 price for x9.huge"


def test_scoring_is_deterministic_and_does_not_mutate_the_baseline() -> None:
    base = mature()
    before = repr(base)
    spike = event(8.0, size="r6i.8xlarge", who=BOB)
    first = score_event(spike, base, NOW)
    assert score_event(spike, base, NOW) == first
    assert repr(base) == before


def test_baseline_counts_sum_sumsq_max_and_sets() -> None:
    events = [event(1.0, at=T0), event(3.0, size="c5.xlarge", who=BOB, at=T0 + days(2))]
    base = learn(events)
    assert (base.stats.count, base.stats.total, base.stats.total_sq, base.stats.max) == (
        2,
        4.0,
        10.0,
        3.0,
    )
    assert (base.stats.total_micros, base.stats.total_sq_micros) == (4_000_000, 10_000_000)

    assert base.stats.mean == 2.0 and base.stats.std == 1.0
    assert base.sizes == {"m5.large", "c5.xlarge"}
    assert base.actors == {CI, BOB}
    assert base.first_seen == T0 and base.last_seen == T0 + days(2)
    assert base.size_stats["c5.xlarge"].count == 1
    assert key_of(events[0]) == base.key


def test_baseline_sums_do_not_depend_on_the_order_of_events() -> None:
    costs = [0.1, 0.2, 0.3, 1e-7, 123.456789, 0.0000015, 7.77]
    events = [event(c, at=T0 + days(i)) for i, c in enumerate(costs)]
    forward, backward = learn(events).stats, learn(list(reversed(events))).stats
    assert forward == backward
    assert forward.total == pytest.approx(sum(costs), abs=1e-5)


def test_apply_is_order_independent_for_first_and_last_seen() -> None:
    a, b = event(1.0, at=T0 + days(5)), event(2.0, at=T0)
    forward, backward = learn([a, b]), learn([b, a])
    assert forward.first_seen == backward.first_seen == T0
    assert forward.last_seen == backward.last_seen == T0 + days(5)
    assert forward.stats == backward.stats


def test_ending_events_do_not_touch_baselines() -> None:
    assert delta_for(event(1.0, action="terminate")) is None


def test_now_is_an_argument_not_the_clock() -> None:
    base = learn([event(at=T0 + days(i / 2)) for i in range(30)])
    young = score_event(event(0.096), base, T0 + days(10))
    old = score_event(event(0.096), base, datetime(2027, 1, 1, tzinfo=T0.tzinfo))
    assert (young.phase, old.phase) == ("cold-start", "mature")
