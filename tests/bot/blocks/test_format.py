"""Money, actors, dates and limits helpers: precise, consistent renderings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.blocks._format import cost_text, per_month, slack_date, usd, who
from bot.blocks.limits import clip, clip_mrkdwn, escape, fit_lines, more


@pytest.mark.parametrize(
    ("hourly", "text"),
    [
        (0.096, "$0.096/h · ≈$70/month"),
        (0.0116, "$0.012/h · ≈$8.47/month"),
        (0.0004, "<$0.001/h · ≈$0.29/month"),
        (0.0, "$0.000/h · ≈$0.00/month"),
        (0.9996, "$1.00/h · ≈$730/month"),
        (1.0, "$1.00/h · ≈$730/month"),
        (32.7726, "$32.77/h · ≈$23,924/month"),
        (1234.5, "$1,234.50/h · ≈$901,185/month"),
        (-0.5, "-$0.500/h · ≈-$365/month"),
        (None, "unknown"),
        (float("nan"), "unknown"),
        (float("inf"), "unknown"),
    ],
)
def test_cost_text(hourly: float | None, text: str) -> None:
    assert cost_text(hourly) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0.1, "$0.100"), (0.0005, "$0.001"), (25, "$25.00"), (1e6, "$1,000,000.00")],
)
def test_usd_uses_three_decimals_under_a_dollar_and_two_above(amount: float, text: str) -> None:
    assert usd(amount) == text


def test_per_month_is_730_hours() -> None:
    assert per_month(1) == "≈$730/month"
    assert per_month(0.01) == "≈$7.30/month"


@pytest.mark.parametrize(
    ("arn", "principal", "session", "text"),
    [
        (
            "arn:aws:sts::123:assumed-role/Deployer/ci-run-42",
            None,
            None,
            "Deployer (session: ci-run-42)",
        ),
        (None, "arn:aws:iam::123:role/team/Deployer", "bob", "Deployer (session: bob)"),
        (None, "arn:aws:iam::123:role/Deployer", None, "Deployer"),
        ("arn:aws:iam::123:user/alice", None, None, "alice"),
        ("arn:aws:iam::123:user/division/alice", None, None, "alice"),
        ("arn:aws:iam::123:root", None, None, "root user"),
        ("arn:aws-cn:iam::123:root", None, None, "root user"),
        ("arn:aws:sts::123:federated-user/carol", None, None, "carol (federated)"),
        (None, "autoscaling.amazonaws.com", None, "autoscaling.amazonaws.com"),
        (None, None, None, "unknown"),
        ("arn:aws:iam::123:oidc-provider/x", None, None, "arn:aws:iam::123:oidc-provider/x"),
    ],
)
def test_who(arn: str | None, principal: str | None, session: str | None, text: str) -> None:
    assert who(arn, principal, session) == text


def test_slack_date_has_a_utc_fallback_and_treats_naive_times_as_utc() -> None:
    aware = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
    expected = "<!date^1793588645^{date_short_pretty} {time}|2026-11-02 03:04 UTC>"
    assert slack_date(aware) == expected
    assert slack_date(aware.replace(tzinfo=None)) == expected


def test_escape_neutralises_links_and_mentions() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


@pytest.mark.parametrize("limit", range(1, 30))
def test_clip_mrkdwn_never_splits_an_entity_or_a_token(limit: int) -> None:
    text = escape("a&b<c>") + " <!date^1^{time}|x> " + escape("&&&&")
    clipped = clip_mrkdwn(text, limit)
    assert len(clipped) <= limit
    body = clipped.removesuffix("…")
    assert body.count("&") == body.count(";")
    assert body.count("<") == body.count(">")


def test_clip_leaves_short_text_alone_and_marks_a_cut() -> None:
    assert clip("short", 10) == "short"
    assert clip("a longer text", 8) == "a longe…"


def test_fit_lines_says_how_many_were_left_out() -> None:
    lines = [f"line {n:03d}" for n in range(100)]
    text = fit_lines(lines, 100, noun="lines")
    assert len(text) <= 100
    shown = text.splitlines()[:-1]
    assert shown == lines[: len(shown)]
    assert text.splitlines()[-1] == more(100 - len(shown), "lines")


def test_fit_lines_keeps_everything_that_fits() -> None:
    assert fit_lines(["a", "b"], 100) == "a\nb"
    assert fit_lines([], 100) == ""
