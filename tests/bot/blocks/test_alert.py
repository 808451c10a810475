"""The alert card: who, what, where, $/h, why, the commands that stop it, and its buttons."""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import Any

import pytest

from bot.blocks import ACTION_DETAILS, ACTION_TEXTS, alert_message, alert_status_update
from bot.blocks._format import RESOURCE_LABELS
from bot.blocks.limits import escape
from engine import Anomaly, CostEvent, iter_records, normalize_record, score_event
from pricing import load_catalogue
from storage.anomalies import document_for
from tests.bot.blocks.helpers import NOW, all_text, anomaly, check_message, hostile_anomaly
from tests.fixtures import CLOUDTRAIL, load


def _card(**overrides: Any) -> list[dict[str, Any]]:
    return check_message(alert_message(anomaly(**overrides), NOW))


def _fields(blocks: list[dict[str, Any]]) -> dict[str, str]:
    section = next(b for b in blocks if "fields" in b)
    pairs = (f["text"].split("\n", 1) for f in section["fields"])
    return {name.strip("*"): value for name, value in pairs}


def test_the_header_says_severity_what_and_where() -> None:
    header = _card()[0]
    assert header["type"] == "header"
    assert header["text"]["text"] == ":red_circle: Critical: p4d.24xlarge × 2 launched in us-east-1"


@pytest.mark.parametrize(
    ("overrides", "title"),
    [
        ({"severity": "warning", "quantity": 1}, ":large_orange_circle: Warning: p4d.24xlarge"),
        ({"severity": "info", "event_name": "StartInstances"}, ":large_blue_circle: Info: p4d"),
        ({"event_name": "ModifyDBInstance", "size": "db.r6g.16xlarge", "quantity": 1}, "db.r6g"),
        (
            {"resource_type": "sagemaker:endpoint", "size": None, "quantity": 1},
            "SageMaker endpoint",
        ),
    ],
)
def test_titles(overrides: dict[str, Any], title: str) -> None:
    text = _card(**overrides)[0]["text"]["text"]
    assert text.startswith(title) or title in text
    verbs = {"StartInstances": "started", "ModifyDBInstance": "changed"}
    assert verbs.get(overrides.get("event_name", ""), "launched") in text


def test_the_fields_answer_who_what_where_when_and_how_much() -> None:
    fields = _fields(_card())
    assert fields["Resource"] == "EC2 instance · `p4d.24xlarge`"
    assert fields["Quantity"] == "2"
    assert fields["Region"] == "`us-east-1`"
    assert fields["Account"] == "`123456789012`"
    assert fields["Cost"] == "$65.54/h · ≈$47,841/month"
    assert fields["Who"] == "MLTraining (session: alice)"
    epoch = int((NOW - timedelta(minutes=2)).timestamp())
    assert fields["When"] == f"<!date^{epoch}^{{date_short_pretty}} {{time}}|2026-11-02 08:58 UTC>"
    assert fields["Resource ids"] == "`i-0abc1234567890def`, `i-0123456789abcdef0`"


def test_a_cheap_resource_shows_three_decimals() -> None:
    assert _fields(_card(estimated_hourly_cost=0.096))["Cost"] == "$0.096/h · ≈$70/month"


def test_an_unknown_cost_says_why() -> None:
    fields = _fields(_card(estimated_hourly_cost=None, cost_note="not in the event"))
    assert fields["Cost"] == "unknown: not in the event"


def test_a_known_cost_with_a_note_shows_the_note_under_the_fields() -> None:
    blocks = _card(cost_note="EC2 rate only")
    assert blocks[2]["type"] == "context"
    assert blocks[2]["elements"][0]["text"] == "Cost note: EC2 rate only"


@pytest.mark.parametrize(
    ("actor", "principal", "session", "who"),
    [
        (
            "arn:aws:sts::1:assumed-role/Deploy/gh-actions",
            "arn:aws:iam::1:role/Deploy",
            "gh-actions",
            "Deploy (session: gh-actions)",
        ),
        ("arn:aws:iam::1:user/alice", "arn:aws:iam::1:user/alice", None, "alice"),
        ("arn:aws:iam::1:root", "arn:aws:iam::1:root", None, "root user"),
        (None, "autoscaling.amazonaws.com", None, "autoscaling.amazonaws.com"),
    ],
)
def test_who_is_readable(actor: str | None, principal: str, session: str | None, who: str) -> None:
    fields = _fields(_card(actor_arn=actor, principal_arn=principal, session_name=session))
    assert fields["Who"] == who


def test_why_lists_the_reasons_as_bullets() -> None:
    why = _card()[2]["text"]["text"]
    assert why == (
        "*Why this alert*\n• p4d.24xlarge was never launched in this account\n• 40× the usual $/h"
    )


def test_two_hundred_long_reasons_are_cut_with_a_count() -> None:
    blocks = check_message(alert_message(hostile_anomaly(), NOW))
    why = next(
        b["text"]["text"] for b in blocks if "Why this alert" in b.get("text", {}).get("text", "")
    )
    assert why.rstrip().endswith("more reasons")


def _suggested(blocks: list[dict[str, Any]]) -> list[str]:
    start = next(i for i, b in enumerate(blocks) if "Suggested actions" in str(b))
    assert "copy and run" in blocks[start]["text"]["text"]
    return [b["text"]["text"] for b in blocks[start + 1 :] if b["type"] == "section"]


def test_suggested_actions_are_the_commands_safe_first_destructive_marked() -> None:
    stop, terminate = _suggested(_card())
    ids = "i-0abc1234567890def i-0123456789abcdef0"
    assert f"```aws ec2 stop-instances --instance-ids {ids} --region us-east-1```" in stop
    assert "Destructive" not in stop
    assert terminate.startswith(":warning: *Destructive:*")
    assert f"```aws ec2 terminate-instances --instance-ids {ids} --region us-east-1```" in terminate


@pytest.mark.parametrize("resource_type", sorted(RESOURCE_LABELS))
def test_every_type_shows_its_commands_with_ids_and_region(resource_type: str) -> None:
    ids = ["orders-db"] if resource_type != "emr:cluster" else ["j-2AXXXXXXGAPLF"]
    text = "\n".join(
        _suggested(_card(resource_type=resource_type, resource_ids=ids, region="ap-south-1"))
    )
    assert ids[0] in text
    assert "--region ap-south-1```" in text


def test_an_eks_node_group_card_names_its_cluster() -> None:
    rec = {
        "eventVersion": "1.09",
        "eventID": "e-ng",
        "eventTime": "2026-11-02T03:04:05Z",
        "eventSource": "eks.amazonaws.com",
        "eventName": "CreateNodegroup",
        "awsRegion": "eu-west-1",
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/bob"},
        "requestParameters": {
            "name": "prod-eks",
            "nodegroupName": "gpu-nodes",
            "instanceTypes": ["p4d.24xlarge"],
            "scalingConfig": {"minSize": 1, "maxSize": 4, "desiredSize": 2},
        },
    }
    event = normalize_record(rec, load_catalogue())
    assert isinstance(event, CostEvent) and event.details["clusterName"] == "prod-eks"
    verdict = Anomaly(severity="critical", score=1.0, reasons=("new",))
    stored = document_for("T1", event, verdict, NOW)
    text = "\n".join(_suggested(check_message(alert_message(stored, NOW))))
    assert "--cluster-name prod-eks --nodegroup-name gpu-nodes" in text
    assert "CLUSTER_NAME" not in text and "list-clusters" not in text


def test_many_ids_show_the_first_twenty_and_how_many_more() -> None:
    ids = [f"i-{n:017x}" for n in range(40)]
    stop, _ = _suggested(_card(resource_ids=ids))
    assert " ".join(ids[:20]) + " --region" in stop
    assert ids[20] not in stop
    assert "…and 20 more ids" in stop


def test_commands_are_escaped_for_mrkdwn_but_stay_copyable() -> None:
    stop, _ = _suggested(_card(resource_ids=["i-1&<2>"]))
    assert "--instance-ids 'i-1&amp;&lt;2&gt;'" in stop


def test_the_buttons_carry_the_anomaly_id() -> None:
    actions = next(b for b in _card() if b["type"] == "actions")
    assert actions["block_id"] == "anomaly_actions"
    *buttons, menu = actions["elements"]
    assert menu["type"] == "overflow" and menu["action_id"] == "anomaly_more"
    assert menu["options"][0]["value"] == "sensitivity:0f1e2d3c-aaaa-bbbb-cccc-123456789012"
    assert [(e["action_id"], e["value"]) for e in buttons] == [
        ("snooze_1h", "0f1e2d3c-aaaa-bbbb-cccc-123456789012"),
        ("snooze_4h", "0f1e2d3c-aaaa-bbbb-cccc-123456789012"),
        ("snooze_24h", "0f1e2d3c-aaaa-bbbb-cccc-123456789012"),
        ("mark_expected", "0f1e2d3c-aaaa-bbbb-cccc-123456789012"),
    ]


def test_an_id_no_button_can_carry_gets_no_buttons() -> None:
    assert not [b for b in _card(_id="x" * 2001) if b["type"] == "actions"]


def test_the_fallback_text_summarises_the_card() -> None:
    text = alert_message(anomaly(), NOW).text
    assert text == (
        "Critical: p4d.24xlarge × 2 launched in us-east-1 by MLTraining (session: alice) · "
        "$65.54/h · ≈$47,841/month"
    )


@pytest.mark.parametrize(
    ("status", "action", "user", "line"),
    [
        ("snoozed", "snooze_4h", "U0123ABCD", ":zzz: Snoozed for 4 h by <@U0123ABCD> at "),
        (
            "expected",
            "mark_expected",
            "W0123ABCD",
            ":white_check_mark: Marked expected by <@W0123ABCD> at ",
        ),
        ("resolved", "resolved", None, ":heavy_check_mark: Resolved at "),
    ],
)
def test_a_status_update_replaces_the_buttons(
    status: str, action: str, user: str | None, line: str
) -> None:
    stored = anomaly(status=status, snooze_until=NOW + timedelta(hours=4))
    message = alert_status_update(
        stored, NOW, user, ACTION_TEXTS[action], detail=ACTION_DETAILS.get(action)
    )
    blocks = check_message(message)
    assert not [b for b in blocks if b["type"] == "actions"]
    status_line = blocks[-2]["elements"][0]["text"]
    assert status_line.startswith(line)
    if status == "snoozed":
        assert "(until <!date^" in status_line
    if action in ACTION_DETAILS:
        assert status_line.endswith(f": {ACTION_DETAILS[action]}")
    assert all_text(blocks[:2]) == all_text(check_message(alert_message(stored, NOW))[:2])


def test_a_user_id_that_is_not_one_is_not_rendered_as_a_mention() -> None:
    message = alert_status_update(anomaly(), NOW, "<!channel>", "Snoozed for 1 h")
    line = check_message(message)[-2]["elements"][0]["text"]
    assert "by &lt;!channel&gt; at" in line


def _launches() -> list[tuple[str, CostEvent]]:
    catalogue = load_catalogue()
    found = []
    for path in sorted(CLOUDTRAIL.rglob("*.json")):
        if path.name == "expected.json":
            continue
        name = str(path.relative_to(CLOUDTRAIL))
        for record in iter_records(load(f"cloudtrail/{name}")):
            event = normalize_record(record, catalogue)
            if isinstance(event, CostEvent) and event.action in ("launch", "start", "modify"):
                found.append((name, event))
    return found


@pytest.mark.parametrize(
    ("name", "event"), _launches(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_real_cloudtrail_launches_render_with_their_ids(name: str, event: CostEvent) -> None:
    verdict = Anomaly(severity="critical", score=1.0, reasons=("over the safety net",))
    stored = document_for("T0001", event, verdict, NOW)
    blocks = check_message(alert_message(stored, NOW))
    suggested = "\n".join(_suggested(blocks))
    for resource_id in event.resource_ids[:3]:
        if resource_id[0].isdigit():
            continue  # an Elastic IP's address: its allocation id is used instead
        assert escape(shlex.quote(resource_id)) in suggested, name
    region = escape(shlex.quote(event.region))  # one sample's region is "<region-code>"
    assert f"--region {region}" in suggested or "console" in suggested


def test_a_savings_plan_card_says_it_cannot_be_stopped_and_what_can_be_done() -> None:
    event = normalize_record(
        load("cloudtrail/savingsplans/create_savings_plan_awsdocs.json"), load_catalogue()
    )
    assert isinstance(event, CostEvent)
    verdict = score_event(event, None, NOW)
    assert verdict.anomaly is not None and verdict.anomaly.severity == "warning"
    blocks = check_message(alert_message(document_for("T1", event, verdict.anomaly, NOW), NOW))
    text = all_text(blocks)
    assert "Savings Plan (commitment)" in text and "bought in" in text
    assert "committed $21,900.00 over 1 year" in text
    assert "no stop or delete command undoes it" in text
    suggested = "\n".join(_suggested(blocks))
    assert "can be returned" in suggested
    assert "aws savingsplans describe-savings-plans --savings-plan-ids" in suggested


def test_a_fargate_service_card_scales_it_to_zero_in_its_cluster() -> None:
    event = normalize_record(load("cloudtrail/ecs/create_service_fargate.json"), load_catalogue())
    assert isinstance(event, CostEvent)
    verdict = Anomaly(severity="warning", score=0.5, reasons=("scaled x20",))
    text = "\n".join(
        _suggested(check_message(alert_message(document_for("T1", event, verdict, NOW), NOW)))
    )
    assert (
        "aws ecs update-service --cluster MyCluster --service MyService --desired-count 0" in text
    )
