"""The platform stack keeps the contract the ingest consumer depends on, and cfn-lint passes.

The template is read with cfn-lint's own YAML loader, which turns the short-form tags (!Ref,
!GetAtt, !Sub, !If) into their long form ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.records import iter_records
from tests.cloudformation.templates import load_template, resources_of

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "cloudformation"
PLATFORM = TEMPLATES_DIR / "dd0c-cost-platform.yaml"
ENVELOPES = ROOT / "tests" / "events" / "cloudtrail" / "envelopes"

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
SERVICE_EVENT_DETAIL_TYPE = "AWS Service Event via CloudTrail"  # Spot fulfilment and eviction


# ------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(PLATFORM)


def _queue(template: dict[str, Any], queue_name: str) -> tuple[str, dict[str, Any]]:
    """The logical id and properties of the SQS queue with this QueueName."""
    found = [
        (name, res["Properties"])
        for name, res in resources_of(template, "AWS::SQS::Queue").items()
        if res["Properties"].get("QueueName") == queue_name
    ]
    assert len(found) == 1, f"expected one queue named {queue_name}, found {len(found)}"
    return found[0]


def _pipe(template: dict[str, Any]) -> dict[str, Any]:
    pipes = list(resources_of(template, "AWS::Pipes::Pipe").values())
    assert len(pipes) == 1
    properties: dict[str, Any] = pipes[0]["Properties"]
    return properties


def _rule(template: dict[str, Any]) -> dict[str, Any]:
    rules = list(resources_of(template, "AWS::Events::Rule").values())
    assert len(rules) == 1
    properties: dict[str, Any] = rules[0]["Properties"]
    return properties


def _alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [res["Properties"] for res in resources_of(template, "AWS::CloudWatch::Alarm").values()]


def _get_att(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _topic_id(template: dict[str, Any]) -> str:
    topics = [
        name
        for name, res in resources_of(template, "AWS::SNS::Topic").items()
        if res["Properties"].get("TopicName") == "ops-alerts"
    ]
    assert len(topics) == 1
    return topics[0]


def _matches(pattern: Any, event: Any) -> bool:
    """The subset of EventBridge pattern matching the template uses: exact values, prefix."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            key in event and _matches(value, event[key]) for key, value in pattern.items()
        )
    assert isinstance(pattern, list)
    for candidate in pattern:
        if isinstance(candidate, dict):
            assert set(candidate) == {"prefix"}, f"unsupported pattern operator {candidate}"
            if isinstance(event, str) and event.startswith(candidate["prefix"]):
                return True
        elif event == candidate:
            return True
    return False


def _json_path(document: Any, path: str) -> Any:
    """Pipes' dot-notation JSON path ($.a.b-c.d), enough for the template's paths."""
    assert path.startswith("$."), path
    value = document
    for key in path[2:].split("."):
        assert isinstance(value, dict) and key in value, f"{path}: no {key!r}"
        value = value[key]
    return value


def _pipe_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """What the pipe sees for one staging-queue message, after Pipes' implicit body parsing.

    The rule delivers the EventBridge envelope as the SQS body (no input transformer); Pipes
    exposes a JSON body as parsed JSON under $.body.
    """
    body = json.dumps(envelope)
    return {"messageId": "m-1", "body": json.loads(body), "attributes": {}}


def _render_input_template(input_template: str, event: dict[str, Any]) -> str:
    """Pipes fills <$.path> with the value: strings quoted, objects and arrays as JSON."""
    return re.sub(
        r"<(\$[^>]*)>", lambda match: json.dumps(_json_path(event, match.group(1))), input_template
    )


def _sample_envelopes() -> list[dict[str, Any]]:
    envelopes = []
    for path in sorted(ENVELOPES.glob("eventbridge_*.json")):
        loaded = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(loaded, dict)
        envelopes.append(loaded)
    assert envelopes, f"no EventBridge envelope samples in {ENVELOPES}"
    return envelopes


# ------------------------------------------------------------------------------------- queues


def test_ingestion_queue_is_the_fifo_queue_the_service_reads(template: dict[str, Any]) -> None:
    _, queue = _queue(template, "event-ingestion.fifo")
    assert queue["FifoQueue"] is True
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 4 * 24 * 3600
    assert queue["VisibilityTimeout"] == {"Ref": "IngestionVisibilityTimeout"}
    assert template["Parameters"]["IngestionVisibilityTimeout"]["Default"] == 60


def test_ingestion_queue_redrives_to_its_fifo_dlq_after_three_receives(
    template: dict[str, Any],
) -> None:
    _, queue = _queue(template, "event-ingestion.fifo")
    dlq_id, dlq = _queue(template, "event-ingestion-dlq.fifo")
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": _get_att(dlq_id, "Arn"),
        "maxReceiveCount": 3,
    }
    assert dlq["FifoQueue"] is True
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_staging_queue_has_its_own_dlq_and_lets_only_the_rule_send(
    template: dict[str, Any],
) -> None:
    rule_id = next(iter(resources_of(template, "AWS::Events::Rule")))
    staging_id, staging = _queue(template, "event-ingestion-staging")
    staging_dlq_id, staging_dlq = _queue(template, "event-ingestion-staging-dlq")
    assert staging["RedrivePolicy"]["deadLetterTargetArn"] == _get_att(staging_dlq_id, "Arn")
    assert staging["SqsManagedSseEnabled"] is True
    assert staging_dlq["SqsManagedSseEnabled"] is True

    policies = resources_of(template, "AWS::SQS::QueuePolicy").values()
    for queue_id in (staging_id, staging_dlq_id):
        statements = [
            statement
            for policy in policies
            if {"Ref": queue_id} in policy["Properties"]["Queues"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Allow"
        ]
        assert statements == [
            {
                "Sid": statements[0]["Sid"],
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": _get_att(queue_id, "Arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": _get_att(rule_id, "Arn")}},
            }
        ]


# ------------------------------------------------------------------------------ bus and rule


def test_bus_policy_admits_only_cloudtrail_api_calls(template: dict[str, Any]) -> None:
    buses = list(resources_of(template, "AWS::Events::EventBus").values())
    assert len(buses) == 1
    bus = buses[0]["Properties"]
    assert bus["Name"] == "dd0c-cost-bus"
    [statement] = bus["Policy"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    condition = statement["Condition"]
    assert condition["ForAllValues:StringLike"] == {"events:source": "aws.*"}
    assert condition["ForAllValues:StringEquals"] == {
        "events:detail-type": [CLOUDTRAIL_DETAIL_TYPE, SERVICE_EVENT_DETAIL_TYPE]
    }
    # the optional organisation restriction is an aws:PrincipalOrgID condition
    assert condition["StringEquals"]["Fn::If"][1] == {
        "aws:PrincipalOrgID": {"Ref": "AllowedOrganizationId"}
    }


def test_rule_matches_cloudtrail_api_calls_and_routes_to_the_pipe_source(
    template: dict[str, Any],
) -> None:
    rule = _rule(template)
    bus_id = next(iter(resources_of(template, "AWS::Events::EventBus")))
    assert rule["EventBusName"] == {"Ref": bus_id}
    assert CLOUDTRAIL_DETAIL_TYPE in rule["EventPattern"]["detail-type"]
    assert SERVICE_EVENT_DETAIL_TYPE in rule["EventPattern"]["detail-type"]

    for envelope in _sample_envelopes():
        assert _matches(rule["EventPattern"], envelope), envelope["id"]
    not_cloudtrail = {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification"}
    assert not _matches(rule["EventPattern"], not_cloudtrail)
    assert not _matches(
        rule["EventPattern"], {"source": "com.example", "detail-type": CLOUDTRAIL_DETAIL_TYPE}
    )

    staging_id, _ = _queue(template, "event-ingestion-staging")
    staging_dlq_id, _ = _queue(template, "event-ingestion-staging-dlq")
    [target] = rule["Targets"]
    assert target["Arn"] == _get_att(staging_id, "Arn")
    assert target["DeadLetterConfig"]["Arn"] == _get_att(staging_dlq_id, "Arn")
    assert "InputTransformer" not in target and "Input" not in target  # the envelope, unchanged
    assert _pipe(template)["Source"] == _get_att(staging_id, "Arn")


# ---------------------------------------------------------------------- grouping and dedup


def test_pipe_groups_by_account_and_deduplicates_on_the_cloudtrail_event_id(
    template: dict[str, Any],
) -> None:
    pipe = _pipe(template)
    queue_id, _ = _queue(template, "event-ingestion.fifo")
    assert pipe["Target"] == _get_att(queue_id, "Arn")
    sqs = pipe["TargetParameters"]["SqsQueueParameters"]
    assert sqs["MessageGroupId"] == "$.body.account"
    assert sqs["MessageDeduplicationId"] == "$.body.detail.eventID"


@pytest.mark.parametrize("envelope", _sample_envelopes(), ids=lambda e: str(e["id"]))
def test_consumer_receives_the_envelope_grouped_and_deduplicated(
    template: dict[str, Any], envelope: dict[str, Any]
) -> None:
    """A local model of the pipe (documented Pipes semantics), not AWS itself."""
    parameters = _pipe(template)["TargetParameters"]
    event = _pipe_event(envelope)

    body = _render_input_template(parameters["InputTemplate"], event)
    group_id = _json_path(event, parameters["SqsQueueParameters"]["MessageGroupId"])
    dedup_id = _json_path(event, parameters["SqsQueueParameters"]["MessageDeduplicationId"])

    assert json.loads(body) == envelope
    assert group_id == envelope["account"] and re.fullmatch(r"\d{12}", group_id)
    assert dedup_id == envelope["detail"]["eventID"]
    assert len(group_id) <= 128 and len(dedup_id) <= 128  # SQS limits
    assert list(iter_records(json.loads(body))) == [envelope["detail"]]


# ------------------------------------------------------------------------------------ alarms


def _notifies_ops_alerts(alarm: dict[str, Any], topic_id: str) -> bool:
    return alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_ops_alerts_topic_exists_with_optional_email(template: dict[str, Any]) -> None:
    topic_id = _topic_id(template)
    [subscription] = resources_of(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasOpsAlertEmail"
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic_id}
    assert template["Parameters"]["OpsAlertEmail"]["Default"] == ""


def test_every_alarm_notifies_ops_alerts(template: dict[str, Any]) -> None:
    topic_id = _topic_id(template)
    alarms = _alarms(template)
    assert len(alarms) >= 5
    assert all(_notifies_ops_alerts(alarm, topic_id) for alarm in alarms)


def test_dlq_depth_alarms_fire_on_any_message(template: dict[str, Any]) -> None:
    watched = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _alarms(template)
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Namespace"] == "AWS/SQS"
        and alarm["Threshold"] == 0
        and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    }
    dlq_id, _ = _queue(template, "event-ingestion-dlq.fifo")
    staging_dlq_id, _ = _queue(template, "event-ingestion-staging-dlq")
    assert watched == {dlq_id, staging_dlq_id}


def test_error_rate_alarm_uses_the_service_metrics(template: dict[str, Any]) -> None:
    [alarm] = [
        a for a in _alarms(template) if a.get("AlarmName") == "dd0c-cost-ingestion-error-rate"
    ]
    metrics = {metric["Id"]: metric for metric in alarm["Metrics"]}
    [expression] = [metric for metric in metrics.values() if "Expression" in metric]
    assert expression["ReturnData"] is True
    assert "processed" in expression["Expression"] and "failed" in expression["Expression"]
    assert "100 *" in expression["Expression"]
    for metric_id, name in (("processed", "EventsProcessed"), ("failed", "EventsFailed")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"] == {
            "Namespace": "dd0c/cost",
            "MetricName": name,
            "Dimensions": [{"Name": "Service", "Value": "ingest"}],
        }
        assert stat["Period"] == 300 and stat["Stat"] == "Sum"
    assert alarm["Threshold"] == {"Ref": "ErrorRateThresholdPercent"}
    assert template["Parameters"]["ErrorRateThresholdPercent"]["Default"] == 5
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    # the service learns the metric names from the template itself
    for text in (template["Description"], template["Outputs"]["ServiceMetricsContract"]["Value"]):
        assert "EventsProcessed" in text and "EventsFailed" in text and "dd0c/cost" in text


def test_backlog_rule_and_pipe_failures_are_alarmed(template: dict[str, Any]) -> None:
    by_metric = {
        alarm.get("MetricName"): alarm for alarm in _alarms(template) if "MetricName" in alarm
    }
    queue_id, _ = _queue(template, "event-ingestion.fifo")
    age = by_metric["ApproximateAgeOfOldestMessage"]
    assert age["Dimensions"] == [{"Name": "QueueName", "Value": _get_att(queue_id, "QueueName")}]
    assert age["Threshold"] == {"Ref": "OldestMessageAgeThresholdSeconds"}
    assert template["Parameters"]["OldestMessageAgeThresholdSeconds"]["Default"] == 300

    failed = by_metric["FailedInvocations"]
    assert failed["Namespace"] == "AWS/Events" and failed["Threshold"] == 0
    assert {d["Name"] for d in failed["Dimensions"]} == {"EventBusName", "RuleName"}

    pipe_metrics = {
        metric["MetricStat"]["Metric"]["MetricName"]
        for alarm in _alarms(template)
        for metric in alarm.get("Metrics", [])
        if "MetricStat" in metric
        and metric["MetricStat"]["Metric"]["Namespace"] == "AWS/EventBridge/Pipes"
    }
    assert "ExecutionFailed" in pipe_metrics


# ----------------------------------------------------------------------------------- outputs


def test_outputs_feed_the_service_environment(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    queue_id, _ = _queue(template, "event-ingestion.fifo")
    dlq_id, _ = _queue(template, "event-ingestion-dlq.fifo")
    bus_id = next(iter(resources_of(template, "AWS::Events::EventBus")))
    assert outputs["SqsQueueUrl"]["Value"] == _get_att(queue_id, "QueueUrl")
    assert "SQS_QUEUE_URL" in outputs["SqsQueueUrl"]["Description"]
    assert outputs["SqsDlqUrl"]["Value"] == _get_att(dlq_id, "QueueUrl")
    assert "SQS_DLQ_URL" in outputs["SqsDlqUrl"]["Description"]
    assert outputs["SqsQueueArn"]["Value"] == _get_att(queue_id, "Arn")
    assert outputs["SqsDlqArn"]["Value"] == _get_att(dlq_id, "Arn")
    assert outputs["EventBusArn"]["Value"] == _get_att(bus_id, "Arn")
    assert outputs["EventBusName"]["Value"] == {"Ref": bus_id}
    assert outputs["OpsAlertsTopicArn"]["Value"] == {"Ref": _topic_id(template)}


# ---------------------------------------------------------------------------------- cfn-lint


@pytest.mark.slow  # cfn-lint over every template: 1.5-2.5 s
def test_every_template_passes_cfn_lint() -> None:
    templates = sorted(str(path) for path in TEMPLATES_DIR.glob("*.yaml"))
    assert str(PLATFORM) in templates
    # cfn-lint ships no `python -m cfnlint`; run its console entry point with this interpreter,
    # so a missing cfn-lint fails the test instead of skipping it
    completed = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
        + templates,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
