"""Detectors: the unusual is flagged whatever its cost; the usual, the migrated and the repeated
stay quiet (issue 9). Each case builds history through the same state the service keeps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from engine import Actor, CostEvent, Replay, Verdict
from engine.detectors import (
    COUNT_BURST,
    NEW_PRINCIPAL,
    NEW_REGION,
    RATE_BURST,
    SIZE_JUMP,
    UNFAMILIAR_CLIENT,
    UNFAMILIAR_ORIGIN,
)
from engine.scoring import evaluate, fired_signals
from pricing import load_catalogue
from tests.engine.factories import T0, days, event

ACCOUNT = "111122223333"
ETL = f"arn:aws:iam::{ACCOUNT}:role/nightly-etl"
CI = f"arn:aws:iam::{ACCOUNT}:role/ci"
CI2 = f"arn:aws:iam::{ACCOUNT}:role/ci-second"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
THIEF = f"arn:aws:iam::{ACCOUNT}:user/svc-legacy-backup"
ASG = "autoscaling.amazonaws.com"
ALERTING = ("warning", "critical")


def who(principal: str, kind: str = "AssumedRole") -> Actor:
    """An actor of a given kind."""
    return Actor(arn=principal, type=kind, principal_arn=principal)


def call(principal: str, at: datetime, *, kind: str = "AssumedRole", cost: float = 0.096,
         size: str = "m5.large", quantity: int = 1, region: str = "eu-west-1",
         ip: str = "198.51.100.7", agent: str = "aws-cli/2.17.1 Python/3.11",
         **extra: Any) -> CostEvent:  # fmt: skip
    """One priced launch by `principal`."""
    return event(
        cost,
        size=size,
        who=principal,
        at=at,
        quantity=quantity,
        region=region,
        account=ACCOUNT,
        actor=who(principal, kind),
        source_ip=ip,
        user_agent=agent,
        **extra,
    )


def feed(replay: Replay, ev: CostEvent) -> Verdict:
    """Score then learn, as the processor does."""
    verdict = evaluate(ev, replay.state(ev), ev.event_time, replay.thresholds)
    replay.learn(ev, verdict)
    return verdict


def mature_account(replay: Replay | None = None) -> Replay:
    """20 days of the ETL role (eu-west-1, 1-3 x m5.large a night) and CI (t3.medium)."""
    replay = replay or Replay(load_catalogue())
    for day in range(20):
        night = T0 + days(day) + timedelta(hours=2)
        feed(replay, call(ETL, night, quantity=1 + day % 3, cost=0.096 * (1 + day % 3)))
        for job in range(3):
            at = T0 + days(day) + timedelta(hours=13 + job)
            feed(replay, call(CI, at, size="t3.medium", cost=0.0416, ip="52.1.2.3"))
    return replay


NOW = T0 + days(21)


def alerting(verdict: Verdict) -> bool:
    """Warning or critical."""
    return verdict.anomaly is not None and verdict.anomaly.severity in ALERTING


def test_a_region_the_principal_and_account_never_used_is_flagged_however_cheap() -> None:
    replay = mature_account()
    verdict = feed(replay, call(ETL, NOW, region="ap-southeast-1", cost=0.011, size="t3.micro"))
    assert alerting(verdict)
    assert NEW_REGION in verdict.signals.fired
    reason = verdict.anomaly.reasons[0] if verdict.anomaly else ""
    assert "first launch in ap-southeast-1 by role/nightly-etl" in reason
    assert "eu-west-1" in reason and "never used it either" in reason


def test_one_occurrence_does_not_make_a_pattern_normal() -> None:
    replay = mature_account()
    first = feed(replay, call(ETL, NOW, region="sa-east-1"))
    again = feed(replay, call(ETL, NOW + timedelta(hours=3), region="sa-east-1"))
    next_day = feed(replay, call(ETL, NOW + timedelta(hours=26), region="sa-east-1"))
    assert alerting(first) and alerting(again)
    assert not alerting(next_day)


def test_count_burst_against_the_principals_own_largest_call() -> None:
    replay = mature_account()
    verdict = feed(replay, call(ETL, NOW, quantity=12, cost=0.096 * 12))
    assert alerting(verdict) and COUNT_BURST in verdict.signals.fired
    assert "12 × m5.large in one call by role/nightly-etl" in verdict.anomaly.reasons[0]  # type: ignore[union-attr]


def test_count_burst_of_the_auto_scaling_service_role() -> None:
    replay = mature_account()
    for day in range(5):
        at = NOW - days(5 - day)
        feed(replay, call(ASG, at, kind="AWSService", size="m5.large", quantity=2, ip=ASG))
    verdict = feed(replay, call(ASG, NOW, kind="AWSService", quantity=20, cost=1.92, ip=ASG))
    assert alerting(verdict) and COUNT_BURST in verdict.signals.fired


def test_call_rate_burst_alerts_from_the_unusual_call_on_while_it_lasts() -> None:
    replay = mature_account()
    verdicts = [
        feed(
            replay,
            call(CI, NOW + timedelta(seconds=30 * i), size="t3.medium", cost=0.0416, ip="52.1.2.3"),
        )  # fmt: skip
        for i in range(15)
    ]
    flagged = [RATE_BURST in v.signals.fired for v in verdicts]
    assert flagged[:4] == [False] * 4
    assert all(flagged[6:])
    assert all(alerting(v) for v, f in zip(verdicts, flagged, strict=True) if f)


def test_size_jump_within_a_service_judged_against_its_own_history() -> None:
    replay = mature_account()
    rds: dict[str, Any] = {
        "service": "rds",
        "resource_type": "rds:db-instance",
        "event_name": "CreateDBInstance",
    }
    feed(replay, call(ETL, T0 + days(3), size="db.r6g.large", cost=0.26, **rds))
    verdict = feed(replay, call(ETL, NOW, size="db.r6g.8xlarge", cost=4.1, **rds))
    assert alerting(verdict) and SIZE_JUMP in verdict.signals.fired
    assert "4 sizes above the largest rds class" in " ".join(verdict.anomaly.reasons)  # type: ignore[union-attr]


@pytest.mark.parametrize(("kind", "flagged"), [("IAMUser", True), ("Root", True)])
def test_never_seen_long_term_credentials_in_a_mature_account(kind: str, flagged: bool) -> None:
    replay = mature_account()
    principal = THIEF if kind == "IAMUser" else f"arn:aws:iam::{ACCOUNT}:root"
    verdict = feed(replay, call(principal, NOW, kind=kind, size="t3.micro", cost=0.0104))
    assert alerting(verdict) == flagged
    assert NEW_PRINCIPAL in verdict.signals.fired


def test_a_second_ci_role_doing_what_the_first_does_stays_quiet() -> None:
    replay = mature_account()
    for job in range(6):
        at = NOW + timedelta(hours=13 + job)
        verdict = feed(replay, call(CI2, at, size="t3.medium", cost=0.0416, ip="52.9.9.9"))
        assert not alerting(verdict), verdict.anomaly


def test_compromised_key_second_and_third_batches_alert_too() -> None:
    replay = mature_account()
    batches = [
        feed(
            replay,
            call(
                THIEF,
                NOW + timedelta(hours=h),
                kind="IAMUser",
                size="g5.12xlarge",
                quantity=4,
                cost=22.7,
                region="sa-east-1",
                ip="45.1.2.3",
            ),
        )  # fmt: skip
        for h in (0, 2, 5)
    ]
    assert all(alerting(v) for v in batches)


def test_unfamiliar_network_of_a_known_principal() -> None:
    replay = mature_account()
    for day in range(12):
        feed(replay, call(ALICE, T0 + days(day) + timedelta(hours=10), kind="IAMUser",
                          size="t3.large", cost=0.0832, ip="203.0.113.9",
                          agent="Mozilla/5.0 (Macintosh)"))  # fmt: skip
    boto3 = "Boto3/1.35.0 md/Botocore#1.35.0"
    verdict = feed(replay, call(ALICE, NOW, kind="IAMUser", size="t3.large", cost=0.0832,
                                ip="45.77.1.2", agent=boto3))  # fmt: skip
    assert alerting(verdict)
    assert UNFAMILIAR_ORIGIN in verdict.signals.fired
    assert UNFAMILIAR_CLIENT in verdict.signals.fired
    assert "first launch by user/alice from 45.77.0.0/16" in " ".join(verdict.anomaly.reasons)  # type: ignore[union-attr]


def test_generation_migration_is_not_novel() -> None:
    replay = mature_account()
    verdict = feed(replay, call(ETL, NOW, size="m6i.large", cost=0.096))
    assert not alerting(verdict)
    assert not verdict.signals.size_novel


def test_recurring_job_during_learning_alerts_once_then_waits_for_the_digest() -> None:
    replay = Replay(load_catalogue())
    nights = [
        feed(
            replay,
            call(ETL, T0 + days(n) + timedelta(hours=1), size="c5.9xlarge", quantity=4, cost=6.12),
        )  # fmt: skip
        for n in range(10)
    ]
    severities = [v.anomaly.severity if v.anomaly else None for v in nights]
    assert severities[0] == "warning"
    assert severities[1:] == ["info"] * 9
    assert nights[1].anomaly is not None and "waits for the digest" in nights[1].anomaly.reasons[0]


def test_a_repeat_above_the_critical_band_stays_critical_the_first_time() -> None:
    replay = Replay(load_catalogue())
    first = feed(replay, call(ALICE, T0, size="p4d.24xlarge", cost=32.77, kind="IAMUser"))
    assert first.anomaly is not None and first.anomaly.severity == "critical"
    assert fired_signals(first.anomaly)[0] == "costBand"


def test_lifecycle_calls_never_alert() -> None:
    replay = mature_account()
    verdict = feed(replay, call(THIEF, NOW, kind="IAMUser", action="terminate", region="sa-east-1"))
    assert verdict.anomaly is None and verdict.phase == "unscored"


def test_mark_expected_silences_only_the_marked_pairs() -> None:
    replay = mature_account()
    marked = [call(CI, NOW, size="m5.large"), call(ALICE, NOW, size="p4d.24xlarge")]
    for ev in marked:
        replay.mark_expected(ev)
    verdict = feed(replay, call(CI, NOW, size="p4d.24xlarge", cost=32.77, ip="52.1.2.3"))
    assert verdict.anomaly is not None and verdict.anomaly.severity == "critical"
    assert "safetyNet" in fired_signals(verdict.anomaly)
    alice = feed(replay, call(ALICE, NOW, size="p4d.24xlarge", cost=32.77, kind="IAMUser"))
    assert not verdict.signals.expected and alice.signals.expected


def test_switched_off_detectors_do_not_fire_but_the_safety_net_does() -> None:
    replay = mature_account()
    replay.enabled = frozenset()
    cheap = feed(replay, call(ETL, NOW, region="ap-southeast-1", cost=0.011, size="t3.micro"))
    assert cheap.signals.fired == ()
    dear = feed(replay, call(ETL, NOW, size="p4d.24xlarge", cost=32.77))
    assert dear.anomaly is not None and dear.anomaly.severity == "critical"
