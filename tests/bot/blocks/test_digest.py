"""The daily digest: counts by severity, the top anomalies, burn rate, what was launched."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blocks import DigestSummary, digest_message
from bot.blocks.digest import StillRunning
from tests.bot.blocks.helpers import NOW, all_text, anomaly, check_message


def _summary(**overrides: Any) -> DigestSummary:
    fields: dict[str, Any] = {
        "day": date(2026, 11, 2),
        "by_severity": {"critical": 1, "warning": 2, "info": 9},
        "top": [anomaly(_id=f"evt-{n}") for n in range(3)],
        "burn_hourly_usd": 42.5,
        "new_resources": 7,
        "new_resources_hourly_usd": 3.2,
    }
    fields.update(overrides)
    return DigestSummary(**fields)


def _fields(blocks: list[dict[str, Any]]) -> dict[str, str]:
    section = next(b for b in blocks if "fields" in b)
    pairs = (f["text"].split("\n", 1) for f in section["fields"])
    return {name.strip("*"): value for name, value in pairs}


def test_the_digest_reports_the_day() -> None:
    message = digest_message(_summary(), NOW)
    blocks = check_message(message)
    assert blocks[0]["text"]["text"] == "dd0c/cost daily digest · Mon 2 Nov 2026"
    assert message.text == "dd0c/cost digest 2026-11-02: 12 anomalies"
    assert _fields(blocks) == {
        "Anomalies": ":red_circle: 1 critical · :large_orange_circle: 2 warning · "
        ":large_blue_circle: 9 info",
        "Burn rate now": "$42.50/h · $1,020.00/day",
        "Started (24 h)": "7 resources · $3.20/h",
        "Stopped (24 h)": "0 resources",
        "Opened · resolved · open": "12 opened · 0 resolved · 0 still open",
    }


def test_top_anomalies_point_to_the_full_list() -> None:
    text = all_text(check_message(digest_message(_summary(), NOW)))
    assert "*Top anomalies* (all 12: `/dd0c anomalies all since 24h`)" in text
    assert text.count(":red_circle: *p4d.24xlarge × 2*") == 3


def test_only_the_top_ten_are_listed() -> None:
    summary = _summary(top=[anomaly(_id=f"evt-{n}") for n in range(30)])
    text = all_text(check_message(digest_message(summary, NOW)))
    assert text.count("*p4d.24xlarge × 2*") == 10


def test_learning_and_status_counts_appear_when_given() -> None:
    summary = _summary(accounts_learning=2, by_status={"open": 4, "resolved": 8})
    fields = _fields(check_message(digest_message(summary, NOW)))
    assert fields["Learning"] == "2 accounts still learning their baseline"
    assert fields["By status"] == "4 open · 0 snoozed · 0 expected · 8 resolved"


def test_a_quiet_day() -> None:
    summary = _summary(by_severity={}, top=[], new_resources=0, new_resources_hourly_usd=None)
    blocks = check_message(digest_message(summary, NOW))
    assert "Quiet day: no anomalies." in all_text(blocks)
    assert _fields(blocks)["Started (24 h)"] == "0 resources · $?/h"
    assert summary.empty


def test_held_back_info_still_running_and_zombies_are_listed() -> None:
    held = [anomaly(_id=f"held-{n}") for n in range(2)]
    info = [anomaly(_id="info-1", severity="info")]
    running = [StillRunning(anomaly(_id="old-1"), 1573.2)]
    summary = _summary(
        held_back=held,
        info=info,
        still_running=running,
        zombie_line="3 idle resources ≈ $41.00/month in 1 account(s)",
    )
    text = all_text(check_message(digest_message(summary, NOW)))
    assert "*Held back by governance* (2: strict mode or snoozed)" in text
    assert "*Info-level* (1)" in text
    assert "*Still running* (alerted more than 24 h ago)" in text and "$1,573.20 so far" in text
    assert "*Zombie watch*\n3 idle resources ≈ $41.00/month in 1 account(s)" in text
    assert not summary.empty


def test_500_anomalies_stay_inside_block_kit_limits() -> None:
    many = [anomaly(_id=f"evt-{n}") for n in range(500)]
    summary = _summary(
        by_severity={"warning": 250, "info": 250},
        by_status={"open": 400, "resolved": 100},
        top=many[:5],
        held_back=many,
        info=many,
        still_running=[StillRunning(a, 12.5) for a in many],
    )
    blocks = check_message(digest_message(summary, NOW))
    text = all_text(blocks)
    assert len(blocks) <= 50
    assert "more anomalies" in text and "more resources" in text
