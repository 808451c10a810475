"""The usage-spike card: what, how far above normal, $/h now, since when, top resource, CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks import alert_message
from bot.blocks._format import compact_line
from engine.usage import Spike, StreamKey
from tests.bot.blocks.helpers import NASTY, all_text, check_message
from usage.anomalies import document_for
from usage.watch import Found

HOUR = datetime(2026, 11, 2, 8, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 9, 5, tzinfo=UTC)


def _spike(service: str = "lambda", resource: str = "resize-images", **kw: object) -> Spike:
    fields: dict[str, object] = {
        "key": StreamKey("123456789012", "us-east-1", service, resource),
        "hour": HOUR,
        "since": datetime(2026, 11, 2, 6, tzinfo=UTC),
        "amount": 41.25,
        "normal": 0.75,
        "ratio": 55.0,
        "severity": "critical",
        "unit": "USD",
        "priced": True,
    }
    fields.update(kw)
    return Spike(**fields)  # type: ignore[arg-type]


def _card(found: Found) -> tuple[list[dict[str, object]], str]:
    blocks = check_message(alert_message(document_for("T1", found, NOW), NOW))
    return blocks, all_text(blocks)


def test_a_priced_lambda_spike_card() -> None:
    blocks, text = _card(Found(_spike(), "Lambda invocations", "first-tier rate"))
    assert blocks[0]["text"]["text"] == (  # type: ignore[index]
        ":red_circle: Critical: Lambda invocations spike in us-east-1"
    )
    assert "$41.25/h" in text
    assert "*55.0×* the usual $0.750/h at this hour" in text
    assert "`resize-images`" in text
    assert "<!date^1793599200^" in text  # since 06:00 UTC
    assert "aws lambda put-function-concurrency --function-name resize-images" in text
    assert "Snooze" in text  # the ordinary controls


def test_an_unpriced_bedrock_spike_shows_tokens_and_why_there_is_no_price() -> None:
    spike = _spike(
        "bedrock",
        "anthropic.claude-v2",
        amount=9_000_000.0,
        normal=250_000.0,
        ratio=36.0,
        severity="warning",
        unit="tokens",
        priced=False,
    )
    _, text = _card(Found(spike, "Bedrock tokens", "Bedrock token prices are per model"))
    assert "9,000,000 tokens/h · price unknown: Bedrock token prices are per model" in text
    assert "36.0×" in text


def test_new_usage_and_hostile_names_stay_valid() -> None:
    spike = _spike("nat-gateway", NASTY * 20, normal=0.0, ratio=None)
    _, text = _card(Found(spike, NASTY, NASTY))
    assert "usually nothing at this hour" in text


def test_lists_and_the_digest_name_the_spike() -> None:
    line = compact_line(document_for("T1", Found(_spike(), "Lambda invocations", None), NOW), NOW)
    assert line.startswith(":red_circle: *Lambda usage spike* in `us-east-1` · $41.25/h")
