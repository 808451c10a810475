"""The daily digest (seed story 3.4): the last 24 hours of one workspace.

Spend estimate (burn rate now in $/h and $/day; what started and stopped), anomalies (opened,
resolved, still open; the info-level ones and those held back by governance listed), "still
running" reminders (an alerted resource still up after 24 h, with what it has cost so far) and
the zombie-watch line from the latest scan. The scheduled digest and `/dd0c digest` both render
a `DigestSummary` with `digest_message`; every list is cut to Block Kit's limits.
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
    usd,
)
from bot.blocks.limits import SECTION_TEXT_MAX, escape, fit_lines, plural
from bot.blocks.message import Message, context, fallback, header, section
from bot.blocks.reconcile import reconciliation_section
from storage.anomalies import StoredAnomaly
from storage.reconciliations import Reconciliation

TOP_MAX = 10
SEVERITIES = ("critical", "warning", "info")
STATUSES = ("open", "snoozed", "expected", "resolved")
_ROOM = SECTION_TEXT_MAX - 200


@dataclass(frozen=True, slots=True)
class StillRunning:
    """An alerted resource still up after 24 hours, and what it has cost since it started."""

    anomaly: StoredAnomaly
    cost_so_far_usd: float | None


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """What one digest reports (the caller queries; this module only renders)."""

    day: date
    by_severity: Mapping[str, int]
    top: Sequence[StoredAnomaly]
    burn_hourly_usd: float
    new_resources: int
    new_resources_hourly_usd: float | None
    accounts_learning: int = 0
    by_status: Mapping[str, int] = field(default_factory=dict)
    stopped_resources: int = 0
    held_back: Sequence[StoredAnomaly] = ()
    info: Sequence[StoredAnomaly] = ()
    still_running: Sequence[StillRunning] = ()
    zombie_line: str | None = None
    reconciliations: Sequence[Reconciliation] = ()
    """Yesterday's estimate vs Cost Explorer's bill, one per account (issue 18)."""

    @property
    def total(self) -> int:
        """Anomalies opened in the window."""
        return sum(self.by_severity.get(s, 0) for s in SEVERITIES)

    @property
    def empty(self) -> bool:
        """Nothing to say: the scheduled digest is skipped."""
        return not (
            self.total
            or self.new_resources
            or self.stopped_resources
            or self.still_running
            or self.zombie_line
            or self.reconciliations
        )


def _counts(counts: Mapping[str, int], keys: Sequence[str], icons: Mapping[str, str]) -> str:
    parts = [f"{icons.get(k, '')} {counts.get(k, 0)} {k}".strip() for k in keys]
    return " · ".join(parts)


def _lifecycle(summary: DigestSummary) -> str:
    status = summary.by_status
    still = status.get("open", 0) + status.get("snoozed", 0)
    return f"{summary.total} opened · {status.get('resolved', 0)} resolved · {still} still open"


def _facts(summary: DigestSummary) -> SectionBlock:
    burn = summary.burn_hourly_usd
    started = plural(summary.new_resources, "resource")
    fields = [
        f"*Anomalies*\n{_counts(summary.by_severity, SEVERITIES, SEVERITY_EMOJI)}",
        f"*Burn rate now*\n{usd(burn)}/h · {usd(burn * 24)}/day",
        f"*Started (24 h)*\n{started} · {hourly_text(summary.new_resources_hourly_usd)}",
        f"*Stopped (24 h)*\n{plural(summary.stopped_resources, 'resource')}",
        f"*Opened · resolved · open*\n{_lifecycle(summary)}",
    ]
    if summary.by_status:
        fields.append(f"*By status*\n{_counts(summary.by_status, STATUSES, {})}")
    if summary.accounts_learning:
        learning = plural(summary.accounts_learning, "account")
        fields.append(f"*Learning*\n{learning} still learning their baseline")
    return SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields])


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _listing(title: str, anomalies: Sequence[StoredAnomaly], now: datetime) -> SectionBlock:
    lines = [compact_line(a, now) for a in anomalies]
    return section(f"{title}\n{fit_lines(lines, _ROOM, noun='anomalies')}")


def _top(summary: DigestSummary, now: datetime) -> SectionBlock:
    shown = summary.top[:TOP_MAX]
    title = "*Top anomalies*"
    if summary.total > len(shown):
        title += f" (all {summary.total}: `/dd0c anomalies all since 24h`)"
    return _listing(title, shown, now)


def _still_running(rows: Sequence[StillRunning], now: datetime) -> SectionBlock:
    lines = [
        f"{compact_line(r.anomaly, now)} · *{_so_far(r.cost_so_far_usd)} so far*" for r in rows
    ]
    title = "*Still running* (alerted more than 24 h ago)"
    return section(f"{title}\n{fit_lines(lines, _ROOM, noun='resources')}")


def _so_far(cost: float | None) -> str:
    return usd(cost) if cost is not None else "$?"


def _optional(summary: DigestSummary, now: datetime) -> list[Block]:
    blocks: list[Block] = []
    if summary.held_back:
        title = f"*Held back by governance* ({len(summary.held_back)}: strict mode or snoozed)"
        blocks.append(_listing(title, summary.held_back, now))
    if summary.info:
        blocks.append(_listing(f"*Info-level* ({len(summary.info)})", summary.info, now))
    if summary.still_running:
        blocks.append(_still_running(summary.still_running, now))
    if summary.zombie_line:
        blocks.append(section(f"*Zombie watch*\n{escape(summary.zombie_line)}"))
    if summary.reconciliations:
        blocks.append(reconciliation_section(summary.reconciliations))
    return blocks


def digest_message(summary: DigestSummary, now: datetime) -> Message:
    """The digest: spend, anomalies of the last 24 h, reminders and the zombie watch."""
    blocks: list[Block] = [
        header(f"dd0c/cost daily digest · {_day(summary.day)}"),
        _facts(summary),
        _top(summary, now) if summary.top else section("Quiet day: no anomalies."),
        *_optional(summary, now),
        context("Last 24 hours · ≈$/day assumes what runs now keeps running"),
    ]
    count = plural(summary.total, "anomaly", "anomalies")
    text = f"dd0c/cost digest {summary.day.isoformat()}: {count}"
    return Message(text=fallback(text), blocks=blocks)
