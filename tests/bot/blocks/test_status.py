"""`/dd0c status`: accounts with learning days left, burn rates, the alerting mode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.blocks import status_message
from bot.blocks._accounts import learning_days_left
from storage.accounts import Account
from storage.resources import BurnRate
from tests.bot.blocks.helpers import NOW, account, all_text, burn, check_message


@pytest.mark.parametrize(
    ("days_ago", "left"),
    [(0, 14), (0.5, 14), (1, 13), (5, 9), (13.01, 1), (14, 0), (30, 0), (-1, 15)],
)
def test_learning_days_left_round_up(days_ago: float, left: int) -> None:
    assert learning_days_left(account(learning_days_ago=days_ago), NOW, 14) == left


def test_learning_days_left_is_zero_without_a_start_or_when_not_active() -> None:
    assert learning_days_left(account(learning_days_ago=None), NOW, 14) == 0
    assert learning_days_left(account(status="pending"), NOW, 14) == 0


def test_learning_days_left_take_naive_times_as_utc() -> None:
    naive = account(learning_started_at=(NOW - timedelta(days=5)).replace(tzinfo=None))
    assert learning_days_left(naive, NOW, 14) == 9


DEFAULT_ACCOUNTS = [account(name="prod"), account("210987654321", learning_days_ago=20)]
DEFAULT_BURN = {"123456789012": burn(12.3, 14, 2), "210987654321": burn(0.5, 1)}


def _text(
    *,
    accounts: list[Account] = DEFAULT_ACCOUNTS,
    burn: dict[str, BurnRate] = DEFAULT_BURN,
    mode: str = "learning",
    learning_days: int = 14,
) -> str:
    message = status_message(accounts, burn, 3, mode, NOW, learning_days=learning_days)
    return all_text(check_message(message))


def test_status_lists_accounts_with_their_learning_countdown_and_burn() -> None:
    text = _text()
    assert "*prod* `123456789012` · :seedling: learning: 9 days left · $12.30/h now" in text
    assert "14 running, 2 unpriced" in text
    assert "`210987654321` · :white_check_mark: alerting · $0.500/h now (≈$365/month)" in text


def test_status_adds_up_the_burn_rates() -> None:
    assert "*Burn rate, all accounts*\n$12.80/h now (≈$9,344/month) · 15 running" in _text()


def test_status_counts_open_anomalies() -> None:
    assert "*Open anomalies*\n3" in _text()


@pytest.mark.parametrize(
    ("mode", "line"),
    [
        ("on", "*Alerting on*"),
        (
            "learning",
            "*Learning*: statistical alerts start in 9 days (until then they go to the daily "
            "digest); >$5/h warnings and >$25/h critical alerts post from day one",
        ),
        ("paused", "*Paused (panic mode)*: no alerts are sent"),
    ],
)
def test_status_says_the_mode(mode: str, line: str) -> None:
    assert line in _text(mode=mode)


def test_learning_accounts_at_different_stages_give_a_range() -> None:
    accounts = [account("1", learning_days_ago=1), account("2", learning_days_ago=10)]
    assert "start in 4–13 days" in _text(accounts=accounts)


def test_one_day_left_is_singular() -> None:
    assert "learning: 1 day left" in _text(accounts=[account(learning_days_ago=13.5)])


def test_custom_learning_period() -> None:
    assert "learning: 2 days left" in _text(accounts=[account()], learning_days=7)


def test_other_account_states() -> None:
    accounts = [account("1", status="pending"), account("2", status="disconnected")]
    text = _text(accounts=accounts, burn={})
    assert "`1` · :hourglass: waiting for its CloudFormation stack · nothing running" in text
    assert "`2` · :no_entry: disconnected" in text


def test_no_account_shows_how_to_connect_one() -> None:
    message = status_message([], {}, 0, "on", NOW)
    assert "Run `/dd0c connect`" in all_text(check_message(message))
    assert message.text == "dd0c/cost: no AWS account connected yet"


def test_three_hundred_accounts_are_cut_with_a_count() -> None:
    accounts = [account(f"{n:012d}") for n in range(300)]
    text = _text(accounts=accounts, burn={})
    assert "more accounts" in text
    assert "*Accounts*\n300" in text


def test_fallback_text() -> None:
    message = status_message([account()], {"123456789012": burn()}, 1, "on", NOW)
    assert message.text == (
        "dd0c/cost: 1 account, $12.30/h now (≈$8,979/month) · 14 running, 1 open anomaly"
    )
