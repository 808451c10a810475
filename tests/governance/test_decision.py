"""The pure delivery decision, rule by rule: panic, snooze, info, fast path, strict, audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from governance import Facts, decide

UNTIL = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def facts(**overrides: object) -> Facts:
    values: dict[str, object] = {
        "account_id": "123456789012",
        "severity": "warning",
        "fast_path": False,
        "mode": "audit",
    }
    values.update(overrides)
    return Facts(**values)  # type: ignore[arg-type]  # the table's values are typed loosely


@pytest.mark.parametrize(
    ("overrides", "delivery", "words"),
    [
        ({}, "posted", "posted in audit mode"),
        ({"mode": "strict"}, "held-back", "suppressed by strict mode"),
        ({"mode": "strict", "fast_path": True}, "posted", "cost-band alert"),
        ({"mode": "strict", "severity": "critical", "fast_path": True}, "posted", "every mode"),
        ({"severity": "info"}, "digest", "daily digest"),
        ({"severity": "info", "fast_path": True}, "digest", "info never pages"),
        ({"fast_path": True, "paused": True, "paused_scope": "global"}, "paused", "for everyone"),
        ({"paused": True, "paused_scope": "workspace"}, "paused", "for this workspace"),
        (
            {"snoozed_until": UNTIL, "fast_path": True},
            "held-back",
            "snoozed until 2026-12-05 10:00",
        ),
    ],
)
def test_each_rule(overrides: dict[str, object], delivery: str, words: str) -> None:
    decision = decide(facts(**overrides))
    assert decision.delivery == delivery
    assert words in decision.reason
    assert "123456789012" in decision.reason
    assert decision.post_now is (delivery == "posted")


def test_panic_beats_every_other_rule() -> None:
    everything = facts(
        severity="critical",
        fast_path=True,
        paused=True,
        paused_scope="workspace",
        snoozed_until=UNTIL,
    )
    assert decide(everything).delivery == "paused"


def test_the_reason_keeps_the_severity() -> None:
    assert decide(facts(severity="critical", mode="strict")).reason.startswith("Critical alert")
