"""The zombie-scan report (seed story 4.4): idle resources still billed, as one Slack message.

Grouped by kind with counts and monthly totals, the costliest items of each kind with the AWS
CLI command that removes them, then the regions that could not be scanned. dd0c never runs
the commands; the message says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks._format import slack_date
from bot.blocks.limits import (
    SECTION_TEXT_MAX,
    clip,
    clip_mrkdwn,
    escape,
    fit_lines,
    more,
    plural,
)
from bot.blocks.message import Message, context, fallback, header, section

if TYPE_CHECKING:
    from onboarding.zombies import ScanReport, Zombie

TOP_PER_KIND = 5
# One item stays under ~1,900 characters, so the costliest of each kind always fits a section.
CLI_MAX = 1200  # a stopped instance with many volumes makes a long command; clipped past this
DETAIL_MAX = 300
NOTE_MAX = 160
FAILURE_MAX = 300
# kind -> (title, noun for "…and N more")
KIND_TITLES: Mapping[str, tuple[str, str]] = {
    "ebs-volume": ("Unattached EBS volumes", "volumes"),
    "stopped-instance": ("Instances stopped for over a week", "instances"),
    "load-balancer": ("Load balancers with no healthy target", "load balancers"),
    "elastic-ip": ("Idle Elastic IPs", "addresses"),
    "snapshot": ("Old manual snapshots", "snapshots"),
}
NEVER_RUN = "Review before you run them: dd0c/cost never changes your AWS account."


def monthly(amount: float) -> str:
    """A monthly amount: "$1,234.50/month"."""
    return f"${amount:,.2f}/month"


def _total(zombies: Sequence[Zombie]) -> float:
    return sum(z.monthly_usd for z in zombies if z.monthly_usd is not None)


def _cost(zombies: Sequence[Zombie]) -> str:
    """ "$24.00/month", "$24.00/month + 2 unpriced", or "cost unknown"."""
    unknown = sum(1 for z in zombies if z.monthly_usd is None)
    if unknown == len(zombies):
        return "cost unknown"
    text = monthly(_total(zombies))
    return f"{text} + {unknown} unpriced" if unknown else text


def _headline(report: ScanReport, account: str) -> str:
    """ "Zombie watch: $123.40/month idle in account 123456789012" (plain text)."""
    if any(z.monthly_usd is not None for z in report.zombies):
        return f"Zombie watch: {monthly(report.total_monthly_usd)} idle in account {account}"
    return f"Zombie watch: {plural(len(report.zombies), 'idle resource')} in account {account}"


def _text(value: str, limit: int) -> str:
    """AWS-sourced text made safe for mrkdwn and cut to `limit` after escaping."""
    return clip_mrkdwn(escape(value), limit)


def _code(value: str, limit: int) -> str:
    """Text for inline code or a code block (a backtick would end it; AWS ids have none)."""
    return _text(value, limit).replace("`", "'")


def _item(zombie: Zombie) -> str:
    """One finding: cost, id, region, what it is, and its command in a code block."""
    cost = monthly(zombie.monthly_usd) if zombie.monthly_usd is not None else "cost unknown"
    note = f" _({_text(zombie.cost_note, NOTE_MAX)})_" if zombie.cost_note else ""
    warning = " :warning: deletes data" if zombie.destructive else ""
    return (
        f"• *{cost}*{note} · `{_code(zombie.resource_id, 200)}` · "
        f"{_text(zombie.region, 40)}{warning}\n"
        f"{_text(zombie.detail, DETAIL_MAX)}\n```{_code(zombie.cli, CLI_MAX)}```"
    )


def _fit(items: Sequence[str], total: int, limit: int, noun: str) -> str:
    """The items that fit in `limit`, then "…and N more" counting all `total` findings."""
    reserve = 1 + len(more(total, noun))
    shown: list[str] = []
    used = 0
    for item in items:
        cost = len(item) + (1 if shown else 0)
        if shown and used + cost + reserve > limit:
            break
        shown.append(item)
        used += cost
    hidden = total - len(shown)
    if hidden:
        shown.append(more(hidden, noun))
    return "\n".join(shown)


def _kind(kind: str, zombies: Sequence[Zombie]) -> SectionBlock:
    title, noun = KIND_TITLES.get(kind, (kind, "more"))
    head = f"*{escape(title)}* · {len(zombies)} · {_cost(zombies)}"
    items = [_item(z) for z in zombies[:TOP_PER_KIND]]
    return section(f"{head}\n{_fit(items, len(zombies), SECTION_TEXT_MAX - len(head) - 1, noun)}")


def _summary(report: ScanReport, groups: Mapping[str, Sequence[Zombie]]) -> SectionBlock:
    fields = [
        MarkdownTextObject(
            text=f"*{KIND_TITLES.get(kind, (kind, ''))[0]}*\n{len(found)} · {_cost(found)}"
        )
        for kind, found in groups.items()
    ]
    text = (
        f"*{plural(len(report.zombies), 'idle resource')}* costing {_cost(report.zombies)}, "
        f"in the {plural(len(report.regions_scanned), 'region')} scanned. "
        f"Each comes with the AWS CLI command that removes it. {NEVER_RUN}"
    )
    return SectionBlock(text=MarkdownTextObject(text=text), fields=fields)


def _failures(failures: Mapping[str, str], scanned: int) -> SectionBlock:
    lines = [
        f"• `{_text(region, 40)}`: {_text(reason, FAILURE_MAX)}"
        for region, reason in sorted(failures.items())
    ]
    head = f"*Could not fully scan {len(failures)} of {plural(scanned, 'region')}*"
    return section(f"{head}\n{fit_lines(lines, SECTION_TEXT_MAX - 200, noun='regions')}")


def _notes(report: ScanReport, now: datetime) -> list[str]:
    notes = [f"Scanned {slack_date(now)}", "≈$/month assumes 730 hours"]
    if report.truncated:
        notes.append("Some lists stopped at the scan's limit: there may be more")
    skipped = [f"{count} {why}" for why, count in sorted(report.skipped.items())]
    if skipped:
        notes.append(_text("Left out: " + ", ".join(skipped), 1000))
    return notes


def _groups(zombies: Sequence[Zombie]) -> dict[str, list[Zombie]]:
    """Findings by kind, costliest kind first, each kind's costliest first."""
    groups: dict[str, list[Zombie]] = {kind: [] for kind in KIND_TITLES}
    costliest = sorted(
        zombies, key=lambda z: (z.monthly_usd is None, -(z.monthly_usd or 0.0), z.resource_id)
    )
    for zombie in costliest:
        groups.setdefault(zombie.kind, []).append(zombie)
    order = sorted(groups.items(), key=lambda item: -_total(item[1]))
    return {kind: found for kind, found in order if found}


def zombie_message(report: ScanReport, now: datetime) -> Message:
    """The scan's report: total, groups by kind with their top items and commands, failures."""
    account = clip(report.account_id, 40)
    if not report.zombies:
        where = plural(len(report.regions_scanned) - len(report.failures), "region")
        blocks: list[Block] = [
            header(f"Zombie watch: all clear in account {account}"),
            section(f":white_check_mark: No idle resources found in the {where} scanned."),
        ]
        text = f"Zombie watch: nothing idle in account {account}"
    else:
        groups = _groups(report.zombies)
        text = _headline(report, account)
        blocks = [
            header(text),
            _summary(report, groups),
            *(_kind(kind, found) for kind, found in groups.items()),
        ]
    if report.failures:
        blocks.append(_failures(report.failures, len(report.regions_scanned)))
    blocks.append(context(*_notes(report, now)))
    return Message(text=fallback(escape(text)), blocks=blocks)
