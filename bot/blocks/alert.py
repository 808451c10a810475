"""The alert card (seed stories 3.2 and 3.3) and its update after a button was pressed.

Who, what, where, $/hour, why it looks unusual, and the AWS CLI commands that stop it. The card
only shows the commands: V1 never runs them. Buttons snooze or mark the anomaly expected; their
`value` is the anomaly id (the CloudTrail eventID).
"""

from __future__ import annotations

import re
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks._format import (
    NAME_MAX,
    SEVERITY_EMOJI,
    code,
    cost_text,
    label,
    slack_date,
    status_text,
    title,
    who,
)
from bot.blocks.commands import COMMAND_MAX, Suggestion, suggestions
from bot.blocks.limits import (
    BUTTON_VALUE_MAX,
    FIELD_TEXT_MAX,
    SECTION_TEXT_MAX,
    clip,
    clip_mrkdwn,
    escape,
    fit_lines,
    more,
)
from bot.blocks.message import Message, context, fallback, header, section
from bot.blocks.sensitivity import overflow
from bot.blocks.usage import is_usage, usage_message
from storage.anomalies import StoredAnomaly

ACTIONS_BLOCK_ID = "anomaly_actions"
REASON_MAX = 300
IDS_SHOWN = 5

BUTTONS: tuple[tuple[str, str], ...] = (
    ("snooze_1h", "Snooze 1 h"),
    ("snooze_4h", "Snooze 4 h"),
    ("snooze_24h", "Snooze 24 h"),
    ("mark_expected", "Mark expected"),
)
# What the card says once a button was pressed (`alert_status_update`), by action id.
ACTION_TEXTS: dict[str, str] = {
    "snooze_1h": "Snoozed for 1 h",
    "snooze_4h": "Snoozed for 4 h",
    "snooze_24h": "Snoozed for 24 h",
    "mark_expected": "Marked expected",
    "resolved": "Resolved",
}
ACTION_DETAILS: dict[str, str] = {
    "mark_expected": "the baseline learned this pattern",
    "resolved": "the resource was stopped",
}
_STATUS_ICONS = {
    "open": ":arrows_counterclockwise:",
    "snoozed": ":zzz:",
    "expected": ":white_check_mark:",
    "resolved": ":heavy_check_mark:",
}
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def anomaly_buttons(anomaly_id: str, block_id: str) -> ActionsBlock | None:
    """Snooze 1 h / 4 h / 24 h and Mark expected, valued with the anomaly id."""
    if not anomaly_id or len(anomaly_id) > BUTTON_VALUE_MAX:
        return None  # no button could carry it back; /dd0c anomalies still lists it
    buttons = [
        ButtonElement(text=text, action_id=action_id, value=anomaly_id)
        for action_id, text in BUTTONS
    ]
    return ActionsBlock(elements=buttons, block_id=block_id)


def _field(name: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip_mrkdwn(f"*{name}*\n{value}", FIELD_TEXT_MAX))


def _ids_text(ids: list[str]) -> str:
    shown = ", ".join(code(i) for i in ids[:IDS_SHOWN])
    return f"{shown} {more(len(ids) - IDS_SHOWN)}" if len(ids) > IDS_SHOWN else shown or "none"


def _cost(anomaly: StoredAnomaly) -> str:
    text = cost_text(anomaly.estimated_hourly_cost)
    if text == "unknown" and anomaly.cost_note:
        return f"unknown: {escape(anomaly.cost_note)}"
    return text


def _fields(anomaly: StoredAnomaly) -> SectionBlock:
    resource = escape(label(anomaly.resource_type))
    if anomaly.size:
        resource = f"{resource} · {code(anomaly.size)}"
    actor = who(anomaly.actor_arn, anomaly.principal_arn, anomaly.session_name)
    fields = [
        _field("Resource", resource),
        _field("Quantity", str(anomaly.quantity)),
        _field("Region", code(anomaly.region)),
        _field("Account", code(anomaly.account_id)),
        _field("Cost", _cost(anomaly)),
        _field("Who", escape(clip(actor, NAME_MAX))),
        _field("When", slack_date(anomaly.event_time)),
        _field("Resource ids", _ids_text(anomaly.resource_ids)),
    ]
    return SectionBlock(fields=fields)


def _why(reasons: list[str]) -> SectionBlock:
    bullets = [f"• {escape(clip(r, REASON_MAX))}" for r in reasons] or ["• _no reason recorded_"]
    return section("*Why this alert*\n" + fit_lines(bullets, SECTION_TEXT_MAX - 20, noun="reasons"))


def _code_block(command: str) -> str:
    inner = clip_mrkdwn(escape(command), COMMAND_MAX).replace("```", "``\u200b`")
    return f"```{inner}```"


def _suggestion(s: Suggestion) -> SectionBlock:
    heading = f":warning: *Destructive:* {escape(s.label)}" if s.destructive else escape(s.label)
    parts = [heading]
    if s.command is not None:
        parts.append(_code_block(s.command))
    if s.hidden:
        parts.append(f"_{more(s.hidden, 'ids')}: run the command again with them_")
    return section("\n".join(parts))


def _actions(anomaly: StoredAnomaly) -> list[Block]:
    found = suggestions(
        anomaly.resource_type, anomaly.resource_ids, anomaly.region, details=anomaly.details
    )
    intro = section(
        "*Suggested actions* · copy and run them yourself: dd0c never changes your AWS resources"
    )
    return [intro, *(_suggestion(s) for s in found)]


def _footer(anomaly: StoredAnomaly, now: datetime, with_status: bool) -> Block:
    parts = [
        f"Event {code(anomaly.event_name)} · id {code(anomaly.id)}",
        f"principal {code(anomaly.principal_arn or 'unknown')}",
        f"score {anomaly.score:.2f}",
    ]
    if with_status and anomaly.status != "open":
        parts.append(f"status: {status_text(anomaly, now)}")
    return context(*parts)


def _card(
    anomaly: StoredAnomaly, now: datetime, controls: list[Block], *, with_status: bool
) -> Message:
    if is_usage(anomaly):  # the usage watch's spike has a card of its own
        return usage_message(anomaly, now, controls, with_status=with_status)
    blocks: list[Block] = [
        header(f"{SEVERITY_EMOJI[anomaly.severity]} {title(anomaly)}"),
        _fields(anomaly),
    ]
    if anomaly.cost_note and anomaly.estimated_hourly_cost is not None:
        blocks.append(context(f"Cost note: {escape(anomaly.cost_note)}"))
    blocks += [_why(anomaly.reasons), *_actions(anomaly), *controls]
    blocks.append(_footer(anomaly, now, with_status))
    actor = who(anomaly.actor_arn, anomaly.principal_arn, anomaly.session_name)
    cost = cost_text(anomaly.estimated_hourly_cost)
    summary = f"{title(anomaly)} by {clip(actor, NAME_MAX)} · {cost}"
    return Message(text=fallback(escape(summary)), blocks=blocks)


def alert_message(anomaly: StoredAnomaly, now: datetime) -> Message:
    """The alert card: what, where, $/h, who, when, why, the commands that stop it, buttons."""
    buttons = anomaly_buttons(anomaly.id, ACTIONS_BLOCK_ID)
    menu = overflow(anomaly.id)
    if buttons is not None and menu is not None:
        buttons.elements.append(menu)
    controls: list[Block] = [buttons] if buttons else []
    return _card(anomaly, now, controls, with_status=True)


def _by(actor_user_id: str | None) -> str:
    if not actor_user_id:
        return ""
    if _USER_ID.fullmatch(actor_user_id):
        return f" by <@{actor_user_id}>"
    return f" by {escape(clip(actor_user_id, NAME_MAX))}"


def status_line(
    anomaly: StoredAnomaly,
    now: datetime,
    actor_user_id: str | None,
    action_text: str,
    detail: str | None = None,
) -> str:
    """The line that replaces the buttons: "Snoozed for 4 h by <@U123> at … (until …)"."""
    icon = _STATUS_ICONS.get(anomaly.status, ":information_source:")
    line = f"{icon} {escape(clip(action_text, NAME_MAX))}{_by(actor_user_id)} at {slack_date(now)}"
    if anomaly.status == "snoozed" and anomaly.snooze_until is not None:
        line += f" (until {slack_date(anomaly.snooze_until)})"
    if detail:
        line += f": {escape(clip(detail, NAME_MAX))}"
    return line


def alert_status_update(
    anomaly: StoredAnomaly,
    now: datetime,
    actor_user_id: str | None,
    action_text: str,
    *,
    detail: str | None = None,
) -> Message:
    """The same card with its buttons replaced by what was done, by whom and when."""
    line = status_line(anomaly, now, actor_user_id, action_text, detail)
    return _card(anomaly, now, [context(line)], with_status=False)
