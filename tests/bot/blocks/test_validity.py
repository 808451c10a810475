"""Every builder gives valid Block Kit within Slack's limits, for normal and hostile input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from bot.blocks import (
    DigestSummary,
    Message,
    alert_message,
    alert_status_update,
    anomaly_list,
    digest_message,
    help_message,
    home_view,
    status_message,
)
from bot.blocks._format import RESOURCE_LABELS
from storage.anomalies import StoredAnomaly
from tests.bot.blocks.helpers import (
    NASTY,
    NOW,
    account,
    anomaly,
    burn,
    check_home,
    check_message,
    hostile_anomaly,
)

SEVERITIES = ("info", "warning", "critical")
STATUSES = ("open", "snoozed", "expected", "resolved")

ANOMALIES: dict[str, StoredAnomaly] = {
    "normal": anomaly(),
    "hostile": hostile_anomaly(),
    "no cost": anomaly(estimated_hourly_cost=None, cost_note="endpoint config not in the event"),
    "nan cost": anomaly(estimated_hourly_cost=float("nan")),
    "no ids": anomaly(resource_ids=[]),
    "no actor": anomaly(actor_arn=None, principal_arn=None, session_name=None),
    "no reasons": anomaly(reasons=[]),
    "id too long for a button": anomaly(_id="x" * 2500),
    "unknown type": anomaly(resource_type="gamelift:fleet", size=None),
    "naive time": anomaly(event_time=NOW.replace(tzinfo=None)),
    **{f"severity {s}": anomaly(severity=s) for s in SEVERITIES},
    **{
        f"status {s}": anomaly(status=s, snooze_until=NOW + timedelta(hours=4), status_by="U1")
        for s in STATUSES
    },
    **{f"type {t}": hostile_anomaly(resource_type=t) for t in RESOURCE_LABELS},
}

AnomalyBuilder = Callable[[StoredAnomaly], Message]
CARD_BUILDERS: dict[str, AnomalyBuilder] = {
    "alert": lambda a: alert_message(a, NOW),
    "update": lambda a: alert_status_update(a, NOW, "U0123ABCD", "Snoozed for 4 h"),
    "update by a stranger": lambda a: alert_status_update(
        a, NOW, NASTY * 50, NASTY * 50, detail=NASTY * 50
    ),
    "list": lambda a: anomaly_list([a], title=NASTY * 9, page=1, page_size=10, total=1, now=NOW),
}


@pytest.mark.parametrize("builder", sorted(CARD_BUILDERS))
@pytest.mark.parametrize("case", sorted(ANOMALIES))
def test_anomaly_messages_are_valid(builder: str, case: str) -> None:
    check_message(CARD_BUILDERS[builder](ANOMALIES[case]))


HOSTILE_ACCOUNTS = [
    account(f"{n:012d}", learning_days_ago=n % 20, name=NASTY * 10) for n in range(300)
] + [
    account("pending", status="pending"),
    account("gone", status="disconnected"),
    account("leaving", status="disconnecting"),
    account("never", learning_days_ago=None),
    account(NASTY * 40),
]
HOSTILE_BURN = {a.id: burn(1e12, 10**6, 10**5) for a in HOSTILE_ACCOUNTS}
HOSTILE_BURN["nan"] = burn(float("nan"))


@pytest.mark.parametrize("mode", ["on", "learning", "paused", NASTY * 20])
@pytest.mark.parametrize("hostile", [False, True])
def test_status_is_valid(mode: str, hostile: bool) -> None:
    accounts = HOSTILE_ACCOUNTS if hostile else [account()]
    rates = HOSTILE_BURN if hostile else {"123456789012": burn()}
    check_message(status_message(accounts, rates, 10**9 if hostile else 3, mode, NOW))


@pytest.mark.parametrize("mode", ["on", "learning", "paused"])
def test_status_with_no_account_is_valid(mode: str) -> None:
    check_message(status_message([], {}, 0, mode, NOW))


@pytest.mark.parametrize("count", [0, 1, 45, 46, 300])
def test_anomaly_list_is_valid_at_any_length(count: int) -> None:
    rows = [hostile_anomaly(_id=f"evt-{n}") for n in range(count)]
    message = anomaly_list(
        rows, title="Open anomalies", page=3, page_size=300, total=10**6, now=NOW
    )
    check_message(message)


@pytest.mark.parametrize("top", [0, 1, 10, 300])
def test_digest_is_valid(top: int) -> None:
    summary = DigestSummary(
        day=date(2026, 11, 2),
        by_severity={"critical": 10**6, "warning": 3, "info": 0},
        top=[hostile_anomaly(_id=f"evt-{n}") for n in range(top)],
        burn_hourly_usd=1e9,
        new_resources=10**6,
        new_resources_hourly_usd=None,
        accounts_learning=300,
        by_status={"open": 5, "resolved": 2},
    )
    check_message(digest_message(summary, NOW))


def test_help_is_valid() -> None:
    check_message(help_message())


@pytest.mark.parametrize("paused", [False, True])
@pytest.mark.parametrize("count", [0, 1, 44, 45, 46, 300])
def test_home_is_valid_with_any_number_of_open_anomalies(paused: bool, count: int) -> None:
    rows = [hostile_anomaly(_id=f"evt-{n}", severity=SEVERITIES[n % 3]) for n in range(count)]
    view = home_view(HOSTILE_ACCOUNTS, HOSTILE_BURN, rows, paused=paused, now=NOW)
    check_home(view)


def test_home_with_nothing_connected_is_valid() -> None:
    check_home(home_view([], {}, [], paused=False, now=NOW))
