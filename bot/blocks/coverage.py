"""Forwarding coverage (issue 12): a blind spot opened, a blind spot closed, and the status line.

A gap is an enabled region without dd0c's forwarding rules: API calls made there never reach
dd0c. The gap message names the regions (running instances first) and the commands that close
it; the closed message says so once. `/dd0c status` and App Home show the open gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block

from bot.blocks._format import slack_date
from bot.blocks.limits import SECTION_TEXT_MAX, escape, fit_lines, plural
from bot.blocks.message import Message, context, fallback, header, section
from storage.coverage import AccountCoverage, RegionGap

SYNC_FUNCTION = "dd0c-cost-forwarding-sync"
STACK_PARAMETERS = ("ExternalId", "TenantToken", "CallbackUrl", "Dd0cAccountId", "Dd0cEventBusArn")


@dataclass(frozen=True, slots=True)
class Fix:
    """Where the account's dd0c-cost stack lives (from its callback) and the current template."""

    stack_id: str | None
    stack_region: str | None
    template_url: str | None


def _instances(gap: RegionGap) -> str:
    if gap.running_instances:
        return f"*{plural(gap.running_instances, 'running instance')}* nobody watches"
    return "no running instance yet"


def _gap_line(gap: RegionGap) -> str:
    rules = plural(len(gap.missing_rules), "forwarding rule")
    return f"• `{escape(gap.region)}`: {_instances(gap)} ({rules} missing)"


def _urgent_first(gaps: Sequence[RegionGap]) -> list[RegionGap]:
    return sorted(gaps, key=lambda g: (-g.running_instances, g.region))


def _update_command(fix: Fix) -> str | None:
    """Update the stack to the current template, keeping its parameters (None: unknown stack)."""
    if not (fix.stack_id and fix.template_url):
        return None
    region = escape(fix.stack_region or "<the stack's region>")
    keep = " ".join(f"ParameterKey={p},UsePreviousValue=true" for p in STACK_PARAMETERS)
    return (
        f"aws cloudformation update-stack --region {region} "
        f"--stack-name {escape(fix.stack_id)} --template-url {escape(fix.template_url)} "
        f"--capabilities CAPABILITY_NAMED_IAM --parameters {keep}"
    )


def fix_text(account_id: str, fix: Fix) -> str:
    """The commands that close the gaps, run with the account's own AWS credentials."""
    region = escape(fix.stack_region or "<the stack's region>")
    sync = f"aws lambda invoke --function-name {SYNC_FUNCTION} --region {region} /dev/stdout"
    lines = [
        f"*Fix*: in account {escape(account_id)}, run\n```{sync}```\n"
        "The dd0c-cost stack then copies its rules to every enabled region (it also does so "
        "every 6 hours by itself)."
    ]
    update = _update_command(fix)
    if update:
        lines.append(
            "If that function does not exist, the stack predates one-stack-every-region: "
            f"update it to the current template first\n```{update}```"
        )
    else:
        lines.append(
            "If that function does not exist, launch the current stack from `/dd0c connect` "
            "(one stack covers every region)."
        )
    return "\n".join(lines)


def gap_message(account_id: str, gaps: Sequence[RegionGap], fix: Fix, now: datetime) -> Message:
    """A blind spot opened in one account: the regions, then the fix."""
    ordered = _urgent_first(gaps)
    running = sum(g.running_instances for g in gaps)
    regions = fit_lines([_gap_line(g) for g in ordered], SECTION_TEXT_MAX - 200, noun="regions")
    blocks: list[Block] = [
        header(f":warning: Blind spot in AWS account {account_id}"),
        section(
            f"dd0c does not see the API calls made in {plural(len(gaps), 'region')} of account "
            f"*{escape(account_id)}*: a stolen key used there would launch unnoticed.\n{regions}"
        ),
        section(fix_text(account_id, fix)),
        context(f"Checked {slack_date(now)} · dd0c checks daily and says when it is closed"),
    ]
    text = (
        f"Blind spot in AWS account {account_id}: {plural(len(gaps), 'region')} not forwarded "
        f"({plural(running, 'running instance')})"
    )
    return Message(text=fallback(escape(text)), blocks=blocks)


def outdated_message(account_id: str, fix: Fix, now: datetime) -> Message:
    """The role predates the coverage check: dd0c cannot tell which regions are blind."""
    update = _update_command(fix)
    how = (
        f"Update the stack to the current template:\n```{update}```"
        if update
        else "Launch the current stack from `/dd0c connect` (one stack covers every region)."
    )
    text = (
        f"dd0c cannot check which regions of account *{escape(account_id)}* forward API calls: "
        "its `dd0c-cost-readonly` role predates the coverage check (`events:ListRules` is not "
        f"granted), and its stack may forward from one region only. {how}\nThe current stack "
        "watches every enabled region and grants only the reads dd0c makes."
    )
    blocks: list[Block] = [
        header(f":warning: Update the dd0c-cost stack in account {account_id}"),
        section(text),
        context(f"Checked {slack_date(now)} · said once; `/dd0c status` shows it until fixed"),
    ]
    summary = f"Update the dd0c-cost stack in AWS account {account_id}: coverage unknown"
    return Message(text=fallback(escape(summary)), blocks=blocks)


def closed_message(account_id: str, regions: Sequence[str], now: datetime) -> Message:
    """Blind spots that closed: said once."""
    names = ", ".join(f"`{escape(r)}`" for r in sorted(regions))
    text = (
        f":white_check_mark: Blind spot closed in AWS account *{escape(account_id)}*: "
        f"{names} forward{'s' if len(regions) == 1 else ''} API calls to dd0c again."
    )
    return Message(
        text=fallback(text), blocks=[section(text), context(f"Checked {slack_date(now)}")]
    )


def coverage_text(coverages: Sequence[AccountCoverage]) -> str | None:
    """The status/App Home section for open gaps; None when every region is covered."""
    lines = []
    for coverage in coverages:
        if coverage.role_outdated_since is not None:
            lines.append(
                f"• {escape(coverage.account_id)}: coverage unknown, the stack needs an update "
                f"(since {slack_date(coverage.role_outdated_since, '{date_short_pretty}')})"
            )
        for gap in _urgent_first(coverage.gaps):
            lines.append(
                f"• {escape(coverage.account_id)} `{escape(gap.region)}`: {_instances(gap)}, "
                f"open since {slack_date(gap.opened_at, '{date_short_pretty}')}"
            )
    if not lines:
        return None
    head = ":warning: *Blind spots* (regions whose API calls dd0c cannot see; fix in the alert)"
    return f"{head}\n" + fit_lines(lines, SECTION_TEXT_MAX - len(head) - 1, noun="regions")
