"""The customer stack grants only reads, forwards exactly the engine's events, and calls dd0c back.

Three contracts are checked against `cloudformation/dd0c-cost-readonly.yaml`, read with cfn-lint's
loader as the platform test does:

- the role: only dd0c's account, only with the ExternalId; it grants exactly
  `onboarding.permissions.GRANTED_ACTIONS` (no wildcard, no unused action), and nothing granted
  is a write or a known data/secret read;
- the forwarding rules: one per eventSource, together matching exactly `engine.SUPPORTED_EVENTS`
  (the test prints the YAML to paste when the engine's list changes);
- the callback function: standard library only, and run for real against a local HTTP server
  standing in for dd0c's callback and for CloudFormation's pre-signed response URL.
"""

from __future__ import annotations

import ast
import json
import re
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

from engine import SUPPORTED_EVENTS
from onboarding.permissions import (
    ASSUMED_ROLE_ACTIONS,
    FEATURE_ACTIONS,
    GRANTED_ACTIONS,
    NO_PERMISSION_NEEDED,
)
from tests.cloudformation.templates import load_template, resources_of
from tests.fixtures import CLOUDTRAIL, load

ROOT = Path(__file__).resolve().parents[2]
READONLY = ROOT / "cloudformation" / "dd0c-cost-readonly.yaml"

API_CALL = "AWS API Call via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"  # CloudTrail eventType AwsServiceEvent
DETAIL_TYPES = [API_CALL, SERVICE_EVENT]
PATTERN_QUOTA = 2048  # EventBridge "Event pattern size", characters (adjustable quota)

# EventBridge `source` of CloudTrail events, per eventSource, each checked in the EventBridge
# events reference ("... events delivered via AWS CloudTrail"). Not always "aws." + the prefix
# of other services (EMR's own events come from aws.emr), so a new eventSource must be checked
# and added here.
EVENTBRIDGE_SOURCES = {
    "autoscaling.amazonaws.com": "aws.autoscaling",
    "bedrock.amazonaws.com": "aws.bedrock",
    "ec2.amazonaws.com": "aws.ec2",
    "ecs.amazonaws.com": "aws.ecs",
    "eks.amazonaws.com": "aws.eks",
    "elasticache.amazonaws.com": "aws.elasticache",
    "elasticloadbalancing.amazonaws.com": "aws.elasticloadbalancing",
    "elasticmapreduce.amazonaws.com": "aws.elasticmapreduce",
    "es.amazonaws.com": "aws.es",
    "lambda.amazonaws.com": "aws.lambda",
    "rds.amazonaws.com": "aws.rds",
    "redshift.amazonaws.com": "aws.redshift",
    "sagemaker.amazonaws.com": "aws.sagemaker",
    "savingsplans.amazonaws.com": "aws.savingsplans",
}

READ_VERBS = ("Describe", "Get", "List")
# Read-only actions whose name does not start with a read verb; each needs a reason.
READ_ONLY_EXCEPTIONS: frozenset[str] = frozenset()
# Reads that return customer data, code or secrets: never granted, not even through a wildcard.
NEVER_GRANTED = (
    "lambda:GetFunction",  # returns a pre-signed link to the function's code
    "lambda:GetLayerVersion",
    "lambda:GetFunctionConfiguration",  # environment variables, which often hold secrets
    # lambda:ListFunctions also returns environment variables; the usage watch needs each
    # function's memory and no Lambda read gives it without them: granted on purpose, with the
    # reason in cloudformation/README.md's permission table.
    "ec2:DescribeInstanceAttribute",  # the userData attribute: boot scripts with secrets
    "ec2:DescribeLaunchTemplateVersions",  # UserData again, inside each launch template
    "rds:DescribeDBLogFiles",
    "ec2:GetPasswordData",
    "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot",
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "kms:Decrypt",
    "rds:DownloadDBLogFilePortion",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:PutMetricAlarm",
)

EXTERNAL_ID = "0b9d6f7e-3c1a-4e5b-9a2d-7f8e6c5b4a39"
ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/dd0c-cost/5b0e9f30-0000-0000"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/dd0c-cost-readonly"


# ------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(READONLY)


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = list(resources_of(template, kind).items())
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def _get_att(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _forwarding_rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rules forwarding CloudTrail events (not the sync function's schedule)."""
    return {
        rule_id: rule
        for rule_id, rule in resources_of(template, "AWS::Events::Rule").items()
        if "EventPattern" in rule["Properties"]
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_id(template: dict[str, Any]) -> str:
    [role_id] = [
        name
        for name, res in resources_of(template, "AWS::IAM::Role").items()
        if res["Properties"].get("RoleName") == "dd0c-cost-readonly"
    ]
    return role_id


def _readonly_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every policy statement attached to the dd0c-cost-readonly role."""
    role_id = _role_id(template)
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role, "AWS managed policies are broader than we need"
    statements = [
        statement
        for policy in role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements
    return statements


def _action_matches(granted: str, action: str) -> bool:
    """IAM action matching: `*` and `?` wildcards, case-insensitive."""
    regex = re.escape(granted).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, action, flags=re.IGNORECASE) is not None


def _granted(statements: list[dict[str, Any]], effect: str) -> list[str]:
    return [
        granted
        for statement in statements
        if statement["Effect"] == effect
        for granted in _as_list(statement["Action"])
    ]


def _is_allowed(statements: list[dict[str, Any]], action: str) -> bool:
    allowed = any(_action_matches(g, action) for g in _granted(statements, "Allow"))
    denied = any(_action_matches(g, action) for g in _granted(statements, "Deny"))
    return allowed and not denied


# -------------------------------------------------------------------------------- the role


def test_only_dd0c_account_with_the_external_id_may_assume_the_role(
    template: dict[str, Any],
) -> None:
    role = template["Resources"][_role_id(template)]["Properties"]
    assert role["MaxSessionDuration"] == 3600
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "Dd0cWithExternalIdOnly",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${Dd0cAccountId}:root"}},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
        }
    ]
    parameters = template["Parameters"]
    uuid_pattern = parameters["ExternalId"]["AllowedPattern"]
    assert re.fullmatch(uuid_pattern, EXTERNAL_ID)
    assert not re.fullmatch(uuid_pattern, "not-a-uuid")
    assert not re.fullmatch(uuid_pattern, EXTERNAL_ID.replace("-4", "-1", 1))  # not version 4
    assert re.fullmatch(parameters["Dd0cAccountId"]["AllowedPattern"], ACCOUNT_ID)
    assert not re.fullmatch(parameters["CallbackUrl"]["AllowedPattern"], "http://example.com/")


def test_no_permission_needed_lists_only_product_actions() -> None:
    assert NO_PERMISSION_NEEDED <= ASSUMED_ROLE_ACTIONS


@pytest.mark.parametrize("action", sorted(ASSUMED_ROLE_ACTIONS - NO_PERMISSION_NEEDED))
def test_every_action_the_product_calls_is_granted(template: dict[str, Any], action: str) -> None:
    assert _is_allowed(_readonly_statements(template), action), (
        f"{action} is in onboarding.permissions.ASSUMED_ROLE_ACTIONS but not granted by "
        f"{READONLY.name}: add it to the ReadOnlyPolicy's Action list"
    )


def test_the_role_grants_exactly_the_actions_the_code_uses(template: dict[str, Any]) -> None:
    granted = _granted(_readonly_statements(template), "Allow")
    wildcards = [g for g in granted if "*" in g or "?" in g]
    assert not wildcards, f"{wildcards}: name each action the code calls instead"
    assert len(granted) == len(set(granted)), "an action is granted twice"
    unused = sorted(set(granted) - GRANTED_ACTIONS)
    missing = sorted(GRANTED_ACTIONS - set(granted))
    assert not unused, f"{unused}: granted, but no feature in onboarding.permissions calls it"
    assert not missing, f"{missing}: called (onboarding.permissions), not granted: add them"


def test_every_feature_declares_sorted_known_actions() -> None:
    for feature, actions in FEATURE_ACTIONS.items():
        assert actions, feature
        for action in actions:
            assert re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z0-9]+", action), (feature, action)
    assert frozenset().union(*FEATURE_ACTIONS.values()) == ASSUMED_ROLE_ACTIONS


def test_readme_gives_every_granted_action_a_reason() -> None:
    readme = (ROOT / "cloudformation" / "README.md").read_text()
    rows = {
        match.group(1)
        for match in re.finditer(r"^\| `([a-z0-9-]+:[A-Za-z0-9]+)` \|", readme, flags=re.M)
    }
    missing, extra = sorted(GRANTED_ACTIONS - rows), sorted(rows - GRANTED_ACTIONS)
    assert not missing and not extra, (
        "cloudformation/README.md's permission table must list exactly the granted actions: "
        f"missing {missing}, extra {extra}"
    )


def test_iam_wildcard_matching() -> None:
    assert _action_matches("ec2:Describe*", "ec2:DescribeVolumes")
    assert _action_matches("EC2:describe*", "ec2:DescribeVolumes")
    assert _action_matches("ec2:Describe?olumes", "ec2:DescribeVolumes")
    assert not _action_matches("ec2:Describe*", "ec2:CreateVolume")
    assert not _action_matches("lambda:GetFunctionConfiguration", "lambda:GetFunction")
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["ec2:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:Terminate*", "Resource": "*"},
    ]
    assert _is_allowed(statements, "ec2:DescribeVolumes")
    assert not _is_allowed(statements, "ec2:TerminateInstances")


def test_nothing_granted_is_a_write_or_a_data_read(template: dict[str, Any]) -> None:
    statements = _readonly_statements(template)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "*"
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
    for granted in _granted(statements, "Allow"):
        service, _, name = granted.partition(":")
        assert re.fullmatch(r"[a-z0-9-]+", service), granted
        if granted in READ_ONLY_EXCEPTIONS:
            continue
        # a read verb, then letters; a wildcard only at the end, after the verb
        assert re.fullmatch(rf"({'|'.join(READ_VERBS)})[A-Za-z0-9]*\*?", name), (
            f"{granted} is not a read (Describe/Get/List) action"
        )
    for action in NEVER_GRANTED:
        assert not _is_allowed(statements, action), f"{action} must not be granted"


# ---------------------------------------------------------------------- the forwarding rules


def _expected_events() -> dict[str, list[str]]:
    """eventSource -> sorted eventNames, from the engine."""
    events: dict[str, list[str]] = {}
    for event_source, event_name in SUPPORTED_EVENTS:
        events.setdefault(event_source, []).append(event_name)
    return {source: sorted(names) for source, names in sorted(events.items())}


def _rule_id(event_source: str) -> str:
    prefix = event_source.split(".")[0]
    return f"Forward{prefix[:1].upper()}{prefix[1:]}Rule"


def _rules_yaml(events: dict[str, list[str]]) -> str:
    """The template's forwarding rules for these events, as YAML to paste into Resources."""
    blocks = []
    for event_source, names in events.items():
        prefix = event_source.split(".")[0]
        source = EVENTBRIDGE_SOURCES[event_source]
        event_names = "".join(f"            - {name}\n" for name in names)
        blocks.append(
            f"  {_rule_id(event_source)}:\n"
            "    Type: AWS::Events::Rule\n"
            "    Properties:\n"
            f"      Name: dd0c-cost-forward-{prefix}\n"
            f"      Description: Forwards the {prefix} CloudTrail events dd0c/cost prices"
            " to dd0c-cost-bus.\n"
            "      EventBusName: default\n"
            "      State: ENABLED\n"
            "      EventPattern:\n"
            f"        detail-type: [{', '.join(DETAIL_TYPES)}]\n"
            f"        source: [{source}]\n"
            "        detail:\n"
            f"          eventSource: [{event_source}]\n"
            "          eventName:\n"
            f"{event_names}"
            "      Targets:\n"
            "        - Id: dd0c-cost-bus\n"
            "          Arn: !Ref Dd0cEventBusArn\n"
            "          RoleArn: !GetAtt ForwardingRole.Arn\n"
        )
    return "\n".join(blocks)


def test_every_engine_event_source_has_a_checked_eventbridge_source() -> None:
    unknown = sorted({source for source, _ in SUPPORTED_EVENTS} - set(EVENTBRIDGE_SOURCES))
    assert not unknown, (
        f"look up the EventBridge source of {unknown} in the EventBridge events reference "
        "and add it to EVENTBRIDGE_SOURCES"
    )


def test_rules_forward_exactly_the_engine_events(template: dict[str, Any]) -> None:
    expected_yaml = _rules_yaml(_expected_events())
    expected = cfn_yaml.loads("Resources:\n" + expected_yaml)["Resources"]
    actual = _forwarding_rules(template)
    if actual != expected:
        depends_on = "".join(f"      - {rule_id}\n" for rule_id in ["ReadOnlyPolicy", *expected])
        rule_arns = "".join(f"        - !GetAtt {rule_id}.Arn\n" for rule_id in expected)
        rule_refs = "".join(f"        - !Ref {rule_id}\n" for rule_id in expected)
        pytest.fail(
            f"{READONLY.name}'s forwarding rules differ from engine.SUPPORTED_EVENTS. Replace "
            "the Forward*Rule resources with:\n\n"
            f"{expected_yaml}\n"
            f"and OnboardingCallback's DependsOn with:\n{depends_on}\n"
            f"and the RuleArns output's list with:\n{rule_arns}\n"
            f"and ForwardingSync's Rules with:\n{rule_refs}"
        )


def test_each_pattern_is_one_service_and_within_the_quota(template: dict[str, Any]) -> None:
    covered = set()
    for rule in _forwarding_rules(template).values():
        pattern = rule["Properties"]["EventPattern"]
        # one eventSource per rule, so eventNames never cross services (sagemaker has a
        # CreateCluster the engine does not price; eks's and redshift's it does)
        [event_source] = pattern["detail"]["eventSource"]
        assert pattern["source"] == [EVENTBRIDGE_SOURCES[event_source]]
        assert pattern["detail-type"] == DETAIL_TYPES
        covered |= {(event_source, name) for name in pattern["detail"]["eventName"]}
        assert len(json.dumps(pattern)) < PATTERN_QUOTA
    assert covered == set(SUPPORTED_EVENTS)


def test_rules_target_dd0c_bus_with_a_put_events_only_role(template: dict[str, Any]) -> None:
    role_id = "ForwardingRole"
    for rule_id, rule in _forwarding_rules(template).items():
        assert "Condition" not in rule, f"{rule_id}: rules forward in every region's stack"
        assert rule["Properties"]["Targets"] == [
            {
                "Id": "dd0c-cost-bus",
                "Arn": {"Ref": "Dd0cEventBusArn"},
                "RoleArn": _get_att(role_id, "Arn"),
            }
        ]
    role = template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": {"Ref": "Dd0cEventBusArn"}}
    ]
    bus_pattern = template["Parameters"]["Dd0cEventBusArn"]["AllowedPattern"]
    assert re.fullmatch(
        bus_pattern, f"arn:aws:events:us-east-1:{ACCOUNT_ID}:event-bus/dd0c-cost-bus"
    )


def _envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event CloudTrail puts on the default bus for this record."""
    detail_type = {
        "AwsServiceEvent": SERVICE_EVENT,
        "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    }.get(record.get("eventType", "AwsApiCall"), API_CALL)
    event_source = record["eventSource"]
    source = EVENTBRIDGE_SOURCES.get(event_source, "aws." + event_source.split(".")[0])
    return {"source": source, "detail-type": detail_type, "detail": record}


def _matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for exact values, all the forwarding patterns use."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            key in event and _matches(value, event[key]) for key, value in pattern.items()
        )
    return event in pattern


def _sample_records() -> list[tuple[str, dict[str, Any]]]:
    records = []
    for path in sorted(CLOUDTRAIL.glob("*/*.json")):
        if path.parent.name == "envelopes":
            continue
        record = load(str(path.relative_to(CLOUDTRAIL.parent)))
        records.append((f"{path.parent.name}/{path.name}", record))
    assert records
    return records


_SAMPLES = _sample_records()


@pytest.mark.parametrize(("name", "record"), _SAMPLES, ids=[name for name, _ in _SAMPLES])
def test_sample_records_reach_dd0c_only_when_the_engine_prices_them(
    template: dict[str, Any], name: str, record: dict[str, Any]
) -> None:
    envelope = _envelope(record)
    matching = [
        rule_id
        for rule_id, rule in _forwarding_rules(template).items()
        if _matches(rule["Properties"]["EventPattern"], envelope)
    ]
    supported = (record["eventSource"], record["eventName"]) in SUPPORTED_EVENTS
    assert len(matching) == (1 if supported else 0), (name, matching)


# ------------------------------------------------------------------------ the callback


def _custom_resource(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    found = [
        (name, resource)
        for name, resource in template["Resources"].items()
        if resource["Type"] == "Custom::Dd0cCostOnboardingCallback"
    ]
    assert len(found) == 1
    return found[0]


def _callback_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    function = template["Resources"]["CallbackFunction"]
    assert function["Type"] == "AWS::Lambda::Function"
    return "CallbackFunction", function


def _callback_code(template: dict[str, Any]) -> str:
    _, function = _callback_function(template)
    code = function["Properties"]["Code"]["ZipFile"]
    assert isinstance(code, str)
    return str(code)


def test_callback_function_is_small_standard_library_python(template: dict[str, Any]) -> None:
    _, function = _callback_function(template)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.12"
    assert properties["Handler"] == "index.handler"
    code = _callback_code(template)
    tree = ast.parse(code, "index.py")
    compile(code, "index.py", "exec")
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported and imported <= sys.stdlib_module_names, imported
    assert "cfnresponse" not in code  # only some runtimes ship it for inline code
    assert len(code) < 4096  # CloudFormation's historical inline-code limit; keep it readable


def test_callback_function_may_only_write_its_logs(template: dict[str, Any]) -> None:
    _, function = _callback_function(template)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    log_group_id, _ = ("CallbackLogGroup", None)
    assert statements == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _get_att(log_group_id, "Arn"),
        }
    ]


def test_callback_runs_after_the_role_and_rules_exist(template: dict[str, Any]) -> None:
    function_id, _ = _callback_function(template)
    callback_id, callback = _custom_resource(template)
    properties = callback["Properties"]
    assert properties["ServiceToken"] == _get_att(function_id, "Arn")
    assert properties["RoleArn"] == _get_att(_role_id(template), "Arn")  # implicit dependency
    rules = _forwarding_rules(template)
    assert set(callback["DependsOn"]) >= {"ReadOnlyPolicy", *rules}, callback_id
    outputs = template["Outputs"]
    assert outputs["RoleArn"]["Value"] == _get_att(_role_id(template), "Arn")
    assert outputs["ExternalId"]["Value"] == {"Ref": "ExternalId"}
    assert outputs["RuleArns"]["Value"]["Fn::Join"][1] == [
        _get_att(rule_id, "Arn") for rule_id in rules
    ]


# --------------------------------------------------------- running the callback for real


@dataclass
class _Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Peer:
    """dd0c's callback endpoint and CloudFormation's response URL, on 127.0.0.1."""

    base_url: str
    requests: list[_Recorded] = field(default_factory=list)
    callback_status: int = 200
    callback_body: bytes = b'{"ok": true}'

    def to(self, path: str) -> list[_Recorded]:
        return [r for r in self.requests if r.path.startswith(path)]


@pytest.fixture
def peer() -> Iterator[_Peer]:
    state = _Peer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(
                _Recorded(self.command, self.path, dict(self.headers), self.rfile.read(length))
            )
            status, body = (
                (state.callback_status, state.callback_body)
                if self.path.startswith("/onboarding/callback")
                else (200, b"")
            )
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            if 300 <= status < 400:
                self.send_header("Location", state.base_url + "/elsewhere")
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_GET = _record

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/onboarding/callback"


def _resolve(value: Any, values: dict[str, str]) -> Any:
    """Ref and GetAtt resolved against `values` (keys: parameter/pseudo names, 'Id.Attr')."""
    if isinstance(value, dict) and "Ref" in value:
        return values[value["Ref"]]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return values[".".join(value["Fn::GetAtt"])]
    return value


def _event(
    template: dict[str, Any], kind: str, callback_url: str, response_url: str, **extra: str
) -> dict[str, Any]:
    """The request CloudFormation sends the function, properties taken from the template."""
    logical_id, callback = _custom_resource(template)
    values = {
        "CallbackUrl": callback_url,
        "TenantToken": "T0KEN-team-T123",
        "ExternalId": EXTERNAL_ID,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": REGION,
        f"{_role_id(template)}.Arn": ROLE_ARN,
        "CallbackFunction.Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:callback",
    }
    properties = {k: _resolve(v, values) for k, v in callback["Properties"].items()}
    return {
        "RequestType": kind,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": f"request-{kind}",
        "ResourceType": callback["Type"],
        "LogicalResourceId": logical_id,
        "ResourceProperties": properties,
        **extra,
    }


def _run(template: dict[str, Any], event: dict[str, Any]) -> None:
    namespace: dict[str, Any] = {"__name__": "index"}
    exec(compile(_callback_code(template), "index.py", "exec"), namespace)
    namespace["handler"](event, None)


def _cfn_response(peer: _Peer, event: dict[str, Any]) -> dict[str, Any]:
    [response] = peer.to("/cfn-response")
    assert response.method == "PUT"
    assert response.headers.get("Content-Type", "") == ""  # what the pre-signed URL expects
    assert len(response.body) <= 4096
    body: dict[str, Any] = json.loads(response.body)
    for key in ("StackId", "RequestId", "LogicalResourceId"):
        assert body[key] == event[key]
    assert body["PhysicalResourceId"]
    return body


def test_create_posts_the_connection_and_succeeds(template: dict[str, Any], peer: _Peer) -> None:
    event = _event(
        template,
        "Create",
        peer.base_url + "/onboarding/callback",
        peer.base_url + "/cfn-response?X-Amz-Signature=abc",
    )
    _run(template, event)

    [callback] = peer.to("/onboarding/callback")
    assert callback.method == "POST"
    assert callback.headers["Content-Type"] == "application/json"
    assert json.loads(callback.body) == {
        "event": "create",
        "accountId": ACCOUNT_ID,
        "roleArn": ROLE_ARN,
        "externalId": EXTERNAL_ID,
        "tenantToken": "T0KEN-team-T123",
        "stackId": STACK_ID,
        "region": REGION,
    }
    assert _cfn_response(peer, event)["Status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("status", "body", "expected_in_reason"),
    [
        (500, b"unknown tenant token", "HTTP 500: unknown tenant token"),
        (302, b"", "HTTP 302"),  # a redirect is reported, not followed as a GET
    ],
)
def test_create_fails_with_the_reason_when_dd0c_refuses(
    template: dict[str, Any], peer: _Peer, status: int, body: bytes, expected_in_reason: str
) -> None:
    peer.callback_status, peer.callback_body = status, body
    event = _event(
        template, "Create", peer.base_url + "/onboarding/callback", peer.base_url + "/cfn-response"
    )
    _run(template, event)

    assert len(peer.to("/onboarding/callback")) == 1
    assert not peer.to("/elsewhere")
    response = _cfn_response(peer, event)
    assert response["Status"] == "FAILED"
    assert expected_in_reason in response["Reason"]
    assert "/onboarding/callback" in response["Reason"]  # the customer sees where it went


def test_create_fails_when_dd0c_cannot_be_reached(template: dict[str, Any], peer: _Peer) -> None:
    event = _event(template, "Create", _closed_port_url(), peer.base_url + "/cfn-response")
    _run(template, event)
    response = _cfn_response(peer, event)
    assert response["Status"] == "FAILED"
    assert "could not be reached" in response["Reason"]


def test_delete_succeeds_even_when_dd0c_is_down(template: dict[str, Any], peer: _Peer) -> None:
    event = _event(
        template,
        "Delete",
        _closed_port_url(),
        peer.base_url + "/cfn-response",
        PhysicalResourceId="dd0c-cost-onboarding-callback",
    )
    _run(template, event)
    response = _cfn_response(peer, event)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "dd0c-cost-onboarding-callback"


def test_delete_posts_the_disconnection(template: dict[str, Any], peer: _Peer) -> None:
    event = _event(
        template,
        "Delete",
        peer.base_url + "/onboarding/callback",
        peer.base_url + "/cfn-response",
        PhysicalResourceId="dd0c-cost-onboarding-callback",
    )
    _run(template, event)
    [callback] = peer.to("/onboarding/callback")
    assert json.loads(callback.body)["event"] == "delete"
    assert _cfn_response(peer, event)["Status"] == "SUCCESS"


def test_rollback_of_a_failed_create_and_updates_call_nobody(
    template: dict[str, Any], peer: _Peer
) -> None:
    peer.callback_status = 500
    callback_url = peer.base_url + "/onboarding/callback"
    create = _event(template, "Create", callback_url, peer.base_url + "/cfn-response/1")
    _run(template, create)
    failed_id = _cfn_response(peer, create)["PhysicalResourceId"]

    rollback = _event(
        template,
        "Delete",
        callback_url,
        peer.base_url + "/cfn-response/2",
        PhysicalResourceId=failed_id,
    )
    update = _event(
        template,
        "Update",
        callback_url,
        peer.base_url + "/cfn-response/3",
        PhysicalResourceId="dd0c-cost-onboarding-callback",
    )
    _run(template, rollback)
    _run(template, update)

    assert len(peer.to("/onboarding/callback")) == 1  # the create only
    responses = [json.loads(r.body) for r in peer.to("/cfn-response")]
    assert [(r["Status"], r["PhysicalResourceId"]) for r in responses[1:]] == [
        ("SUCCESS", failed_id),
        ("SUCCESS", "dd0c-cost-onboarding-callback"),
    ]
