"""The daily digest (seed story 3.4): severity counts, top anomalies, burn rate, new resources.

The scheduled digest and `/dd0c digest` both render a `DigestSummary` with `digest_message`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks._format import (
    SEVERITY_EMOJI,
    compact_line,
    hourly_text,
    per_month,
    slack_date,
    usd,
)
from bot.blocks.limits import SECTION_TEXT_MAX, fit_lines, plural
from bot.blocks.message import Message, context, fallback, header, section
from storage.anomalies import StoredAnomaly

TOP_MAX = 10
SEVERITIES = ("critical", "warning", "info")
STATUSES = ("open", "snoozed", "expected", "resolved")


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """What one day's digest reports (the caller queries; this module only renders)."""

    day: date
    by_severity: Mapping[str, int]
    top: Sequence[StoredAnomaly]
    burn_hourly_usd: float
    new_resources: int
    new_resources_hourly_usd: float | None
    accounts_learning: int = 0
    by_status: Mapping[str, int] = field(default_factory=dict)


def _counts(counts: Mapping[str, int], keys: Sequence[str], icons: Mapping[str, str]) -> str:
    parts = [f"{icons.get(k, '')} {counts.get(k, 0)} {k}".strip() for k in keys]
    return " · ".join(parts)


def _facts(summary: DigestSummary) -> SectionBlock:
    burn = summary.burn_hourly_usd
    launched = plural(summary.new_resources, "resource")
    new = f"{launched} · {hourly_text(summary.new_resources_hourly_usd)}"
    fields = [
        f"*Anomalies*\n{_counts(summary.by_severity, SEVERITIES, SEVERITY_EMOJI)}",
        f"*Burn rate now*\n{usd(burn)}/h · {per_month(burn)}",
        f"*Launched today*\n{new}",
    ]
    if summary.by_status:
        fields.append(f"*By status*\n{_counts(summary.by_status, STATUSES, {})}")
    if summary.accounts_learning:
        learning = plural(summary.accounts_learning, "account")
        fields.append(f"*Learning*\n{learning} still learning their baseline")
    return SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields])


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _top(summary: DigestSummary, total: int, now: datetime) -> SectionBlock:
    lines = [compact_line(a, now) for a in summary.top[:TOP_MAX]]
    top = fit_lines(lines, SECTION_TEXT_MAX - 200, noun="anomalies")
    title = "*Top anomalies*"
    if total > len(lines):
        title += f" (all {total}: `/dd0c anomalies all since 24h`)"
    return section(f"{title}\n{top}")


def digest_message(summary: DigestSummary, now: datetime) -> Message:
    """The digest: counts by severity, the day's top anomalies, burn rate, what was launched."""
    total = sum(summary.by_severity.get(s, 0) for s in SEVERITIES)
    blocks: list[Block] = [
        header(f"dd0c/cost daily digest · {_day(summary.day)}"),
        _facts(summary),
        _top(summary, total, now) if summary.top else section("Quiet day: no anomalies."),
        context(f"Generated {slack_date(now)} · ≈$/month assumes 730 hours"),
    ]
    text = f"dd0c/cost digest {summary.day.isoformat()}: {plural(total, 'anomaly', 'anomalies')}"
    return Message(text=fallback(text), blocks=blocks)
