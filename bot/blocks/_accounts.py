"""Connected accounts, their learning countdown, burn rates and the alerting mode, as mrkdwn."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.blocks._format import NAME_MAX, as_utc, code, known, per_month, usd
from bot.blocks.limits import clip, escape, fit_lines, plural
from engine import DEFAULT_THRESHOLDS
from storage.accounts import Account
from storage.resources import BurnRate

SAFETY_NET = f">${DEFAULT_THRESHOLDS.safety_net_usd:,g}/h"
_T = DEFAULT_THRESHOLDS
# What alerts during learning (DESIGN.md, decisions): the cost bands, in every mode but panic.
FROM_DAY_ONE = (
    f">${_T.warning_usd:,g}/h warnings and >${_T.critical_usd:,g}/h critical alerts "
    "post from day one"
)
COST_BANDS = f"the >${_T.warning_usd:,g}/h and >${_T.critical_usd:,g}/h cost-band alerts"
_DAY = timedelta(days=1).total_seconds()

_ACCOUNT_STATES = {
    "pending": ":hourglass: waiting for its CloudFormation stack",
    "disconnecting": ":wave: disconnecting",
    "disconnected": ":no_entry: disconnected",
}
_MODES = {
    "on": ":large_green_circle: *Alerting on*",
    "paused": ":double_vertical_bar: *Paused (panic mode)*: no alerts are sent, not even "
    f"{COST_BANDS}",
}


def learning_days_left(account: Account, now: datetime, learning_days: int) -> int:
    """Whole days (rounded up) until the account's statistical alerts start; 0 when done."""
    if account.status != "active" or account.learning_started_at is None:
        return 0
    end = as_utc(account.learning_started_at) + timedelta(days=learning_days)
    seconds = (end - as_utc(now)).total_seconds()
    return max(math.ceil(seconds / _DAY), 0)


def total_burn(burn: Mapping[str, BurnRate]) -> BurnRate:
    """The accounts' burn rates added up (rates that are not numbers count as unpriced)."""
    rates = list(burn.values())
    hourly = sum(r.hourly_usd for r in rates if known(r.hourly_usd))
    unpriced = sum(r.unpriced for r in rates)
    return BurnRate(hourly, sum(r.running for r in rates), unpriced)


def burn_text(rate: BurnRate | None) -> str:
    """A burn rate: "$12.30/h now (≈$8,979/month) · 14 running, 2 unpriced"."""
    if rate is None or not rate.running:
        return "nothing running seen yet"
    hourly = rate.hourly_usd if known(rate.hourly_usd) else 0.0
    text = f"{usd(hourly)}/h now ({per_month(hourly)}) · {rate.running} running"
    return f"{text}, {rate.unpriced} unpriced" if rate.unpriced else text


def _state(account: Account, now: datetime, learning_days: int) -> str:
    if account.status in _ACCOUNT_STATES:
        return _ACCOUNT_STATES[account.status]
    left = learning_days_left(account, now, learning_days)
    if left:
        return f":seedling: learning: {plural(left, 'day')} left"
    return ":white_check_mark: alerting"


def account_line(account: Account, rate: BurnRate | None, now: datetime, learning_days: int) -> str:
    """One account: name, id, state (with the learning countdown) and burn rate."""
    name = f"*{escape(clip(account.name, NAME_MAX))}* " if account.name else ""
    state = _state(account, now, learning_days)
    return f"{name}{code(account.id)} · {state} · {burn_text(rate)}"


def account_lines(
    accounts: Sequence[Account],
    burn: Mapping[str, BurnRate],
    now: datetime,
    learning_days: int,
    limit: int,
) -> str:
    """Every account on its own line, truncated to `limit` characters."""
    lines = [account_line(a, burn.get(a.id), now, learning_days) for a in accounts]
    return fit_lines(lines, limit, noun="accounts")


def _days_range(days: list[int]) -> str:
    low, high = min(days), max(days)
    return plural(low, "day") if low == high else f"{low}–{high} days"


def mode_line(mode: str, accounts: Sequence[Account], now: datetime, learning_days: int) -> str:
    """The alerting mode: on, learning (with days left) or paused (panic mode)."""
    if mode in _MODES:
        return _MODES[mode]
    if mode != "learning":
        return f":grey_question: Mode: {escape(clip(mode, NAME_MAX))}"
    days = [d for a in accounts if (d := learning_days_left(a, now, learning_days))]
    when = f"in {_days_range(days)}" if days else f"after {learning_days} days of learning"
    return (
        f":seedling: *Learning*: statistical alerts start {when} (until then they go to the daily "
        f"digest); {FROM_DAY_ONE}"
    )
