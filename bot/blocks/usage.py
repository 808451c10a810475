"""The usage-spike card: spend no API call announced (a Lambda storm, a Bedrock token spike, a NAT
gateway pushing terabytes), from the hourly CloudWatch watch (`usage/`).

What, how far above this hour's normal, $/h now, since when, the top resource and the CLI that
shows or caps it. The facts come from the anomaly's `details` (written by `usage.anomalies`).
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks._format import SEVERITY_EMOJI, code, cost_text, slack_date, status_text
from bot.blocks.commands import COMMAND_MAX
from bot.blocks.limits import (
    FIELD_TEXT_MAX,
    SECTION_TEXT_MAX,
    clip,
    clip_mrkdwn,
    escape,
    fit_lines,
)
from bot.blocks.message import Message, context, fallback, header, section
from engine.usage import USAGE_EVENT
from storage.anomalies import StoredAnomaly


def is_usage(anomaly: StoredAnomaly) -> bool:
    """Whether the anomaly comes from the usage watch."""
    return anomaly.event_name == USAGE_EVENT


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _amount(anomaly: StoredAnomaly, key: str) -> str:
    value = _number(anomaly.details.get(key))
    unit = str(anomaly.details.get("usageUnit") or "")
    if value is None:
        return "unknown"
    if unit == "USD":
        return f"${value:,.2f}/h" if value >= 1 else f"${value:.3f}/h"
    return f"{value:,.0f} {escape(clip(unit, 40))}/h"


def _above(anomaly: StoredAnomaly) -> str:
    ratio = _number(anomaly.details.get("usageRatio"))
    normal = _amount(anomaly, "usageNormal")
    if ratio is None:
        return f"new: usually nothing at this hour ({normal})"
    return f"*{ratio:,.1f}×* the usual {normal} at this hour"


def _field(name: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip_mrkdwn(f"*{name}*\n{value}", FIELD_TEXT_MAX))


def _now(anomaly: StoredAnomaly) -> str:
    if anomaly.estimated_hourly_cost is not None:
        return cost_text(anomaly.estimated_hourly_cost)
    note = f" · price unknown: {escape(anomaly.cost_note)}" if anomaly.cost_note else ""
    return f"{_amount(anomaly, 'usageAmount')}{note}"


def _fields(anomaly: StoredAnomaly) -> SectionBlock:
    resource = anomaly.resource_ids[0] if anomaly.resource_ids else "unknown"
    fields = [
        _field("What", escape(clip(str(anomaly.details.get("usageLabel") or anomaly.service), 80))),
        _field("Now", _now(anomaly)),
        _field("Above normal", _above(anomaly)),
        _field("Since", slack_date(anomaly.event_time)),
        _field("Top resource", code(resource)),
        _field("Region · account", f"{code(anomaly.region)} · {code(anomaly.account_id)}"),
    ]
    return SectionBlock(fields=fields)


def _command(anomaly: StoredAnomaly) -> Block | None:
    command = anomaly.details.get("usageCli")
    if not isinstance(command, str) or not command:
        return None
    inner = clip_mrkdwn(escape(command), COMMAND_MAX).replace("```", "``\u200b`")
    intro = "*See it or cap it* · copy and run it yourself: dd0c never changes your AWS resources"
    return section(f"{intro}\n```{inner}```")


def usage_title(anomaly: StoredAnomaly) -> str:
    """Plain text: "Warning: Lambda invocations spike in us-east-1"."""
    what = clip(str(anomaly.details.get("usageLabel") or anomaly.service), 80)
    return f"{anomaly.severity.capitalize()}: {what} spike in {clip(anomaly.region, 40)}"


def usage_message(
    anomaly: StoredAnomaly, now: datetime, controls: list[Block], *, with_status: bool = True
) -> Message:
    """The usage-spike card with the alert card's controls (snooze, expected, ...)."""
    blocks: list[Block] = [
        header(f"{SEVERITY_EMOJI[anomaly.severity]} {usage_title(anomaly)}"),
        _fields(anomaly),
    ]
    if anomaly.cost_note and anomaly.estimated_hourly_cost is not None:
        blocks.append(context(f"Cost note: {escape(anomaly.cost_note)}"))
    reasons = [f"• {escape(clip(r, 500))}" for r in anomaly.reasons] or ["• _no reason recorded_"]
    blocks.append(section("*Why this alert*\n" + fit_lines(reasons, SECTION_TEXT_MAX - 20)))
    command = _command(anomaly)
    if command is not None:
        blocks.append(command)
    blocks += controls
    footer = [f"Usage watch (CloudWatch) · id {code(anomaly.id)}", f"score {anomaly.score:.2f}"]
    if with_status and anomaly.status != "open":
        footer.append(f"status: {status_text(anomaly, now)}")
    blocks.append(context(*footer))
    text = f"{usage_title(anomaly)} · {_now(anomaly)}"
    return Message(text=fallback(escape(text)), blocks=blocks)
