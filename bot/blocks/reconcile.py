"""Estimate vs bill (Cost Explorer): the digest's section and the status accuracy trend.

"estimated $412.00, billed $437.00 (94 %)" per account, the three services with the largest gap,
and the billed services we don't watch. Amounts are to the cent, as Cost Explorer's are.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import SectionBlock

from bot.blocks._format import code
from bot.blocks.limits import SECTION_TEXT_MAX, escape, fit_lines
from bot.blocks.message import section
from storage.reconciliations import Reconciliation, ServicePair

GAPS_SHOWN = 3
UNWATCHED_SHOWN = 3
TREND_DAYS = 7


def cents(amount: float) -> str:
    """Dollars to the cent: "$1,234.50", "-$3.10"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def accuracy(record: Reconciliation) -> str:
    """Estimated as a share of billed: "94 %" ("n/a" when nothing was billed)."""
    if record.billed_usd <= 0:
        return "n/a"
    return f"{round(record.estimated_usd / record.billed_usd * 100)} %"


def account_line(record: Reconciliation) -> str:
    """ "`123456789012`: estimated $412.00, billed $437.00 (94 %)"."""
    return (
        f"{code(record.account_id)}: estimated {cents(record.estimated_usd)}, "
        f"billed {cents(record.billed_usd)} ({accuracy(record)})"
    )


def largest_gaps(record: Reconciliation, count: int = GAPS_SHOWN) -> list[ServicePair]:
    """The watched services whose estimate is furthest from the bill, largest first."""
    ranked = sorted(
        record.services, key=lambda p: (-abs(p.billed_usd - p.estimated_usd), p.service)
    )
    return [p for p in ranked if round(p.billed_usd - p.estimated_usd, 2) != 0][:count]


def _gap(pair: ServicePair) -> str:
    gap = pair.billed_usd - pair.estimated_usd
    sign = "+" if gap > 0 else "-"
    return (
        f"{escape(pair.service)} {cents(pair.estimated_usd)} est. / "
        f"{cents(pair.billed_usd)} billed ({sign}{cents(abs(gap))})"
    )


def _account(record: Reconciliation) -> str:
    lines = [f"• {account_line(record)}"]
    gaps = largest_gaps(record)
    if gaps:
        lines.append("   largest gaps: " + "; ".join(_gap(p) for p in gaps))
    if record.unwatched:
        shown = record.unwatched[:UNWATCHED_SHOWN]
        more = len(record.unwatched) - len(shown)
        text = ", ".join(f"{escape(p.service)} {cents(p.billed_usd)}" for p in shown)
        lines.append(f"   not watched by dd0c: {text}" + (f" and {more} more" if more else ""))
    return "\n".join(lines)


def reconciliation_section(records: Sequence[Reconciliation]) -> SectionBlock:
    """The digest's "estimate vs bill" section (yesterday, one entry per account)."""
    day = records[0].day if records else ""
    title = f"*Estimate vs bill* ({day}, Cost Explorer)"
    body = fit_lines([_account(r) for r in records], SECTION_TEXT_MAX - 200, noun="accounts")
    return section(f"{title}\n{body}")


def trend_lines(records: Sequence[Reconciliation], days: int = TREND_DAYS) -> str:
    """Per account, the last `days` days' accuracy oldest first: "`1234…`: 91 % · 94 % · 97 %"."""
    by_account: dict[str, list[Reconciliation]] = {}
    for record in sorted(records, key=lambda r: (r.account_id, r.day)):
        by_account.setdefault(record.account_id, []).append(record)
    lines = []
    for account_id, rows in by_account.items():
        shown = " · ".join(accuracy(r) for r in rows[-days:])
        lines.append(
            f"{code(account_id)}: {shown} (latest {account_line(rows[-1]).split(': ', 1)[1]})"
        )
    return fit_lines(lines, SECTION_TEXT_MAX - 100, noun="accounts")
