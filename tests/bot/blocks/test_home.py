"""The Home tab: the paused banner, accounts, the connect button, burn rate, open anomalies."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks import home_view
from tests.bot.blocks.helpers import NOW, account, all_text, anomaly, burn, check_home


def _home(**kwargs: Any) -> list[dict[str, Any]]:
    args: dict[str, Any] = {
        "accounts": [account(name="prod")],
        "burn": {"123456789012": burn()},
        "open_anomalies": [anomaly(_id="evt-1")],
        "paused": False,
        "now": NOW,
    }
    args.update(kwargs)
    return check_home(home_view(**args))


def test_the_view_is_a_home_tab() -> None:
    view = home_view([], {}, [], paused=False, now=NOW)
    assert view["type"] == "home"
    assert "title" not in view and "submit" not in view


@pytest.mark.parametrize("paused", [False, True])
def test_the_paused_banner_shows_only_when_paused(paused: bool) -> None:
    text = all_text(_home(paused=paused))
    assert ("*Alerting paused* (panic mode)" in text) == paused
    assert ("*Learning*: statistical alerts start in 9 days" in text) != paused


def test_mode_is_on_once_every_account_has_learned() -> None:
    assert "*Alerting on*" in all_text(_home(accounts=[account(learning_days_ago=30)]))


def test_accounts_with_their_countdown_and_the_burn_rate() -> None:
    text = all_text(_home())
    assert "*prod* `123456789012` · :seedling: learning: 9 days left" in text
    assert "*Burn rate, all accounts*\n$12.30/h now (≈$8,979/month) · 14 running" in text


def test_the_connect_button_and_a_confirmed_disconnect_per_active_account() -> None:
    (connect,) = [b for b in _home() if b.get("block_id") == "home_connect"]
    button, *disconnects = connect["elements"]
    assert (button["action_id"], button["text"]["text"]) == (
        "open_connect",
        "Connect an AWS account",
    )
    assert disconnects and all(d["action_id"] == "disconnect_account" for d in disconnects)
    assert all(d["confirm"]["confirm"]["text"] == "Disconnect" for d in disconnects)
    assert all(d["value"] in d["text"]["text"] and d["style"] == "danger" for d in disconnects)


def test_nothing_connected() -> None:
    text = all_text(_home(accounts=[], burn={}, open_anomalies=[]))
    assert "No AWS account is connected yet" in text
    assert "Nothing open. All quiet." in text


def test_each_open_anomaly_has_the_card_buttons_in_its_own_block() -> None:
    rows = [anomaly(_id=f"evt-{n}") for n in range(3)]
    blocks = _home(open_anomalies=rows)
    actions = [b for b in blocks if b.get("block_id", "").startswith("home_anomaly_")]
    assert [a["block_id"] for a in actions] == [
        "home_anomaly_0",
        "home_anomaly_1",
        "home_anomaly_2",
    ]
    for block, row in zip(actions, rows, strict=True):
        ids = [e["action_id"] for e in block["elements"]]
        assert ids == ["snooze_1h", "snooze_4h", "snooze_24h", "mark_expected"]
        assert {e["value"] for e in block["elements"]} == {row.id}


def test_most_urgent_first() -> None:
    rows = [
        anomaly(_id="info", severity="info"),
        anomaly(_id="crit", severity="critical"),
        anomaly(_id="warn", severity="warning"),
    ]
    actions = [b for b in _home(open_anomalies=rows) if b.get("block_id", "").startswith("home_a")]
    assert [a["elements"][0]["value"] for a in actions] == ["crit", "warn", "info"]


def test_three_hundred_open_anomalies_fit_in_a_hundred_blocks() -> None:
    rows = [anomaly(_id=f"evt-{n}") for n in range(300)]
    blocks = _home(open_anomalies=rows)
    assert len(blocks) >= 98
    shown = [b for b in blocks if b.get("block_id", "").startswith("home_anomaly_")]
    assert len(shown) == 45
    assert f"…and {300 - len(shown)} more: `/dd0c anomalies` lists them all" in all_text(blocks)
    assert "Open anomalies (300)" in all_text(blocks)
