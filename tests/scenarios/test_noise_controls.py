"""Noise controls through the running service (signed requests, fake Slack, real Redis): the
alert channel changed from App Home's picker (refused, with what the bot needs, when it is not in
the channel), and /dd0c digest listing what strict mode held back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import pytest

from engine import BaselineKey
from tests.bot.test_slack_app import eventually
from tests.governance.records import recorded
from tests.scenarios.test_governance_slack import ACCOUNT, Service, service  # noqa: F401
from tests.slack_signing import block_action

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.slow,  # the whole app on moto's SQS, each waits out the consumer's drain
]


def channel_pick(channel: str, user: str = "U1") -> str:
    """The form body of a conversations_select choice on App Home."""
    body = block_action(
        "choose_alert_channel",
        "",
        team_id="T1",
        user_id=user,
        channel_id="",
        message_ts="",
        container="view",
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["actions"] = [
        {
            "type": "conversations_select",
            "action_id": "choose_alert_channel",
            "block_id": "alert_channel_picker",
            "selected_conversation": channel,
            "action_ts": "1.2",
        }
    ]
    return urlencode({"payload": json.dumps(payload)})


async def test_the_alert_channel_changes_only_to_a_channel_the_bot_is_in(
    service: Service,  # noqa: F811
) -> None:
    slack = service.world.slack
    slack.set_channel("C2", is_member=False)
    assert (await service.world.post(channel_pick("C2"))).status == 200
    await eventually(
        lambda: any(c.body.get("channel") == "U1" for c in slack.calls_to("chat.postMessage"))
    )
    (told,) = [c for c in slack.calls_to("chat.postMessage") if c.body.get("channel") == "U1"]
    assert "I'm not in <#C2> yet" in told.body["text"] and "/invite @dd0c" in told.body["text"]
    tenant = await service.store.tenants.get("T1")
    assert tenant is not None and tenant.alert_channel == "C1"

    slack.set_channel("C3", is_member=True)
    assert (await service.world.post(channel_pick("C3"))).status == 200
    await eventually(
        lambda: any(c.body.get("channel") == "C3" for c in slack.calls_to("chat.postMessage"))
    )
    tenant = await service.store.tenants.get("T1")
    assert tenant is not None and tenant.alert_channel == "C3"
    (entry,) = await service.store.audit.recent("T1", kind="tenant.alert_channel")
    assert entry.message == "Alert channel set to C3 by U1"
    await eventually(lambda: any("<#C3>" in str(c.body) for c in slack.calls_to("views.publish")))


async def test_digest_on_demand_lists_what_strict_mode_held_back(
    service: Service,  # noqa: F811
) -> None:
    await service.store.accounts.attach("T1", ACCOUNT, datetime.now(UTC))
    held = await recorded(service.store, "T1", datetime.now(UTC), account=ACCOUNT)

    async def decided() -> bool:
        found = await service.store.anomalies.get("T1", held.id)
        return found is not None and found.delivery == "held-back"

    await eventually(decided, timeout=10)
    (reply,) = await service.command("digest")
    blocks = json.dumps(reply["blocks"])
    assert "Held back by governance* (1: strict mode or snoozed)" in blocks
    assert "Burn rate now" in blocks and "/day" in blocks


def sensitivity_submission(anomaly_id: str, level: str, user: str = "U1") -> str:
    """The sensitivity modal's submission as Slack posts it."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "is_enterprise_install": False,
        "view": {
            "id": "V9",
            "type": "modal",
            "callback_id": "sensitivity_modal",
            "private_metadata": anomaly_id,
            "state": {
                "values": {
                    "sensitivity_level": {
                        "level": {"type": "static_select", "selected_option": {"value": level}}
                    }
                }
            },
            "hash": "1.x",
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def overflow_pick(anomaly_id: str) -> str:
    """The form body of "Adjust sensitivity…" chosen in a card's overflow menu."""
    body = block_action(
        "anomaly_more", "", team_id="T1", user_id="U1", channel_id="C1", message_ts="1.1"
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["actions"] = [
        {
            "type": "overflow",
            "action_id": "anomaly_more",
            "block_id": "anomaly_actions",
            "selected_option": {"value": f"sensitivity:{anomaly_id}"},
            "action_ts": "1.2",
        }
    ]
    return urlencode({"payload": json.dumps(payload)})


async def test_sensitivity_from_the_card_menu_is_validated_and_audited(
    service: Service,  # noqa: F811
) -> None:
    await service.store.accounts.attach("T1", ACCOUNT, datetime.now(UTC))
    anomaly = await recorded(service.store, "T1", datetime.now(UTC), account=ACCOUNT)
    slack = service.world.slack
    assert (await service.world.post(overflow_pick(anomaly.id))).status == 200
    await eventually(lambda: bool(slack.calls_to("views.open")))
    modal = slack.last("views.open").body["view"]
    assert modal["callback_id"] == "sensitivity_modal" and modal["private_metadata"] == anomaly.id
    assert "ec2:instance" in json.dumps(modal["blocks"])

    bad = await service.world.post(sensitivity_submission(anomaly.id, "extreme"))
    assert (await bad.json())["response_action"] == "errors"
    stranger = await service.world.post(sensitivity_submission(anomaly.id, "high", user="U9"))
    assert "Only a workspace admin" in json.dumps(await stranger.json())
    ok = await service.world.post(sensitivity_submission(anomaly.id, "high"))
    assert ok.status == 200

    async def saved() -> bool:
        key = BaselineKey(ACCOUNT, "ec2", "ec2:instance")
        baseline = await service.store.baselines.get("T1", key)
        return baseline is not None and baseline.sensitivity == "high"

    await eventually(saved)
    (entry,) = await service.store.audit.recent("T1", kind="baseline.sensitivity")
    assert entry.message == f"Sensitivity of {ACCOUNT} ec2 ec2:instance set to high by U1"
