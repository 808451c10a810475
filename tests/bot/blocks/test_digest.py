"""The daily digest: counts by severity, the top anomalies, burn rate, what was launched."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blocks import DigestSummary, digest_message
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
        "Burn rate now": "$42.50/h · ≈$31,025/month",
        "Launched today": "7 resources · $3.20/h",
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
    assert _fields(blocks)["Launched today"] == "0 resources · $?/h"
