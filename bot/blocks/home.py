"""The App Home tab: alerting state, accounts, burn rate and the open anomalies with buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks._accounts import (
    COST_BANDS,
    account_lines,
    burn_text,
    learning_days_left,
    mode_line,
    total_burn,
)
from bot.blocks._format import as_utc, compact_line, slack_date
from bot.blocks.alert import anomaly_buttons
from bot.blocks.coverage import coverage_text
from bot.blocks.limits import HOME_BLOCKS_MAX, SECTION_TEXT_MAX, more
from bot.blocks.message import context, header, section
from storage.accounts import Account
from storage.anomalies import StoredAnomaly
from storage.coverage import AccountCoverage
from storage.resources import BurnRate

CONNECT_ACTION_ID = "open_connect"
CHANNEL_ACTION_ID = "choose_alert_channel"
CHANNEL_BLOCK_ID = "alert_channel_picker"
CONNECT_BLOCK_ID = "home_connect"
DISCONNECT_ACTION_ID = "disconnect_account"
DISCONNECT_BUTTONS_MAX = 24  # an actions block holds 25 elements: the connect button + these
ANOMALY_BLOCK_ID = "home_anomaly_{}"
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}

PAUSED_BANNER = (
    ":double_vertical_bar: *Alerting paused* (panic mode): no alerts are sent, not even "
    f"{COST_BANDS}. Events are still scored and recorded; `/dd0c resume` turns alerts back on "
    "(only a summary of what was missed is posted)."
)
NO_ACCOUNTS = "No AWS account is connected yet: connect one to start alerting."


def _mode(accounts: Sequence[Account], paused: bool, now: datetime, learning_days: int) -> str:
    if paused:
        return "paused"
    learning = any(learning_days_left(a, now, learning_days) for a in accounts)
    return "learning" if learning else "on"


def _disconnect_button(account: Account) -> ButtonElement:
    confirm = ConfirmObject(
        title="Disconnect this account?",
        text=f"dd0c/cost stops alerting on account {account.id} at once and deletes its "
        "events, baselines and anomalies within 72 hours. The role stays in your account "
        "until you delete the CloudFormation stack.",
        confirm="Disconnect",
        deny="Keep it",
    )
    return ButtonElement(
        text=f"Disconnect {account.id}"[:75],
        action_id=DISCONNECT_ACTION_ID,
        value=account.id,
        style="danger",
        confirm=confirm,
    )


def _connect(accounts: Sequence[Account]) -> ActionsBlock:
    button = ButtonElement(
        text="Connect an AWS account", action_id=CONNECT_ACTION_ID, style="primary"
    )
    active = [a for a in accounts if a.status == "active"][:DISCONNECT_BUTTONS_MAX]
    return ActionsBlock(
        elements=[button, *(_disconnect_button(a) for a in active)], block_id=CONNECT_BLOCK_ID
    )


def _channel(alert_channel: str | None) -> SectionBlock:
    """Where alerts go, with a picker to change it (the bot must be in the channel)."""
    where = f"<#{alert_channel}>" if alert_channel else "no channel chosen yet"
    picker = ConversationSelectElement(
        action_id=CHANNEL_ACTION_ID,
        placeholder="Choose a channel",
        initial_conversation=alert_channel,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    text = f"*Alert channel*: {where}. Pick another; invite me there first (`/invite @dd0c`)."
    return SectionBlock(
        text=MarkdownTextObject(text=text), accessory=picker, block_id=CHANNEL_BLOCK_ID
    )


def _facts(burn: Mapping[str, BurnRate], open_count: int) -> SectionBlock:
    fields = [
        MarkdownTextObject(text=f"*Burn rate, all accounts*\n{burn_text(total_burn(burn))}"),
        MarkdownTextObject(text=f"*Open anomalies*\n{open_count}"),
    ]
    return SectionBlock(fields=fields)


def _urgency(anomaly: StoredAnomaly) -> tuple[int, float]:
    return _SEVERITY_ORDER[anomaly.severity], -as_utc(anomaly.event_time).timestamp()


def _anomaly_rows(
    anomalies: Sequence[StoredAnomaly], now: datetime, room: int
) -> tuple[list[Block], int]:
    """Anomaly lines and buttons, most urgent first, within `room` blocks; and how many are left."""
    rows: list[Block] = []
    ordered = sorted(anomalies, key=_urgency)
    for shown, anomaly in enumerate(ordered):
        buttons = anomaly_buttons(anomaly.id, ANOMALY_BLOCK_ID.format(shown))
        row: list[Block] = [section(compact_line(anomaly, now))]
        row += [buttons] if buttons else []
        if len(rows) + len(row) > room:
            return rows, len(ordered) - shown
        rows += row
    return rows, 0


def home_view(
    accounts: Sequence[Account],
    burn: Mapping[str, BurnRate],
    open_anomalies: Sequence[StoredAnomaly],
    *,
    paused: bool,
    now: datetime,
    learning_days: int = 14,
    alert_channel: str | None = None,
    coverage: Sequence[AccountCoverage] = (),
) -> dict[str, Any]:
    """The Home tab view payload (views.publish), at most 100 blocks whatever the input."""
    mode = _mode(accounts, paused, now, learning_days)
    lines = account_lines(accounts, burn, now, learning_days, SECTION_TEXT_MAX - 40)
    top: list[Block] = [
        header("dd0c/cost"),
        section(PAUSED_BANNER if paused else mode_line(mode, accounts, now, learning_days)),
        section(f"*AWS accounts*\n{lines}" if accounts else NO_ACCOUNTS),
        *([section(blind)] if (blind := coverage_text(coverage)) else []),
        _connect(accounts),
        _channel(alert_channel),
        _facts(burn, len(open_anomalies)),
        DividerBlock(),
        header(f"Open anomalies ({len(open_anomalies)})"),
    ]
    footer = context(f"Updated {slack_date(now)} · `/dd0c help` lists the commands")
    room = HOME_BLOCKS_MAX - len(top) - 2  # the footer and a possible "…and N more"
    rows, hidden = _anomaly_rows(open_anomalies, now, room)
    if not open_anomalies:
        rows = [section("Nothing open. All quiet.")]
    if hidden:
        rows.append(context(f"{more(hidden)}: `/dd0c anomalies` lists them all"))
    return dict(View(type="home", blocks=[*top, *rows, footer]).to_dict())
