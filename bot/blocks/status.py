"""`/dd0c status`: connected accounts, learning countdown, burn rate now, alerting mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks._accounts import account_lines, burn_text, mode_line, total_burn
from bot.blocks._format import slack_date
from bot.blocks.coverage import coverage_text
from bot.blocks.limits import SECTION_TEXT_MAX, plural
from bot.blocks.message import Message, context, fallback, header, section
from storage.accounts import Account
from storage.coverage import AccountCoverage
from storage.resources import BurnRate

EMPTY_STATE = (
    "No AWS account is connected yet. Run `/dd0c connect` to connect one: it takes a "
    "CloudFormation stack and about five minutes."
)


def _facts(total: BurnRate, open_anomalies: int, accounts: int) -> SectionBlock:
    fields = [
        MarkdownTextObject(text=f"*Burn rate, all accounts*\n{burn_text(total)}"),
        MarkdownTextObject(text=f"*Open anomalies*\n{open_anomalies} · `/dd0c anomalies`"),
        MarkdownTextObject(text=f"*Accounts*\n{accounts}"),
    ]
    return SectionBlock(fields=fields)


def _blind_spots(coverage: Sequence[AccountCoverage]) -> list[Block]:
    text = coverage_text(coverage)
    return [section(text)] if text else []


def status_message(
    accounts: Sequence[Account],
    burn: Mapping[str, BurnRate],
    open_anomalies: int,
    mode: str,
    now: datetime,
    learning_days: int = 14,
    *,
    coverage: Sequence[AccountCoverage] = (),
) -> Message:
    """The reply to `/dd0c status` (`burn` is by account id; `mode`: on, learning or paused)."""
    mode_text = mode_line(mode, accounts, now, learning_days)
    blocks: list[Block] = [header("dd0c/cost status"), section(mode_text)]
    if not accounts:
        blocks += [section(EMPTY_STATE), context(f"As of {slack_date(now)}")]
        return Message(text=fallback("dd0c/cost: no AWS account connected yet"), blocks=blocks)
    total = total_burn(burn)
    lines = account_lines(accounts, burn, now, learning_days, SECTION_TEXT_MAX - 40)
    blocks += [
        _facts(total, open_anomalies, len(accounts)),
        section(f"*Connected accounts*\n{lines}"),
        *_blind_spots(coverage),
        context(f"As of {slack_date(now)} · ≈$/month assumes 730 hours"),
    ]
    text = (
        f"dd0c/cost: {plural(len(accounts), 'account')}, {burn_text(total)}, "
        f"{plural(open_anomalies, 'open anomaly', 'open anomalies')}"
    )
    return Message(text=fallback(text), blocks=blocks)
