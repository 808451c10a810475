"""One stack watches every region: the forwarding rules are copied to every enabled region.

`cloudformation/dd0c-cost-readonly.yaml` creates the forwarding rules in the stack's region and a
custom resource whose function (`ForwardingSyncFunction`, inline Python) copies them to every
other enabled region, again every 6 hours, and removes the copies on delete. Checked here:

- the template: the custom resource names every forwarding rule, the function's role may only
  touch `dd0c-cost-forward-*` rules and pass the forwarding role to EventBridge, no resource is
  conditional (one stack, every region);
- the function itself, run against moto's server over real HTTP (EventBridge and EC2 in every
  region moto knows), with CloudFormation's response URL on a local HTTP server.
"""

from __future__ import annotations

import ast
import json
import random
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from onboarding.coverage import RULE_PREFIX, expected_rules
from tests.cloudformation.templates import load_template, resources_of
from tests.cloudformation.test_readonly_template import READONLY

HOME = "eu-west-1"
PREFIX = "dd0c-cost-forward-"
BUS_ARN = "arn:aws:events:us-east-1:111122223333:event-bus/dd0c-cost-bus"
NOT_OPTED_IN = "ap-east-1"  # moto lists it as not opted in


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(READONLY)


def _forwarding_rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        rule_id: rule
        for rule_id, rule in resources_of(template, "AWS::Events::Rule").items()
        if "EventPattern" in rule["Properties"]
    }


def _code(template: dict[str, Any]) -> str:
    code = template["Resources"]["ForwardingSyncFunction"]["Properties"]["Code"]["ZipFile"]
    assert isinstance(code, str)
    return code


# ------------------------------------------------------------------------------ the template


def test_one_stack_serves_every_region(template: dict[str, Any]) -> None:
    assert "Conditions" not in template
    assert "CreateReadOnlyRole" not in template["Parameters"]
    conditional = [name for name, r in template["Resources"].items() if "Condition" in r]
    assert not conditional, conditional
    sync = template["Resources"]["ForwardingSync"]
    assert sync["Type"] == "Custom::Dd0cCostForwardingSync"
    properties = sync["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["ForwardingSyncFunction", "Arn"]}
    assert properties["Rules"] == [{"Ref": rule_id} for rule_id in _forwarding_rules(template)]
    assert properties["ForwardingRoleArn"] == {"Fn::GetAtt": ["ForwardingRole", "Arn"]}


def test_the_coverage_check_looks_for_the_rules_the_stack_creates(
    template: dict[str, Any],
) -> None:
    names = {rule["Properties"]["Name"] for rule in _forwarding_rules(template).values()}
    assert names == expected_rules()
    assert RULE_PREFIX == PREFIX
    assert f'PREFIX = "{PREFIX}"' in _code(template)


def test_sync_function_may_only_touch_dd0c_rules(template: dict[str, Any]) -> None:
    role = template["Resources"]["ForwardingSyncRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    by_resource = {json.dumps(s["Resource"], sort_keys=True): s for s in statements}
    assert all(s["Effect"] == "Allow" for s in statements)
    rules = {"Fn::Sub": "arn:${AWS::Partition}:events:*:${AWS::AccountId}:rule/dd0c-cost-forward-*"}
    writes = by_resource[json.dumps(rules, sort_keys=True)]["Action"]
    assert set(writes) == {
        "events:DeleteRule",
        "events:ListTargetsByRule",
        "events:PutRule",
        "events:PutTargets",
        "events:RemoveTargets",
    }
    assert set(by_resource['"*"']["Action"]) == {"ec2:DescribeRegions", "events:ListRules"}
    pass_role = by_resource[json.dumps({"Fn::GetAtt": ["ForwardingRole", "Arn"]})]
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "events.amazonaws.com"}
    }
    logs = by_resource[json.dumps({"Fn::GetAtt": ["ForwardingSyncLogGroup", "Arn"]})]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert len(statements) == 4
    # the sync role is not dd0c's: dd0c's role grants no events write (the read-only test)
    assert template["Resources"]["ForwardingSyncFunction"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["ForwardingSyncRole", "Arn"]
    }


def test_schedule_runs_the_sync_every_6_hours(template: dict[str, Any]) -> None:
    # deleted before the copies are removed, so it cannot put them back
    assert template["Resources"]["ForwardingSyncSchedule"]["DependsOn"] == "ForwardingSync"
    schedule = template["Resources"]["ForwardingSyncSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(6 hours)"
    assert not schedule["Name"].startswith(PREFIX)  # never copied, never deleted by the sync
    [target] = schedule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ForwardingSyncFunction", "Arn"]}
    permission = template["Resources"]["ForwardingSyncSchedulePermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ForwardingSyncSchedule", "Arn"]}


def test_sync_code_is_small_python_with_boto3(template: dict[str, Any]) -> None:
    code = _code(template)
    tree = ast.parse(code, "index.py")
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [])
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported - set(sys.stdlib_module_names) == {"boto3"}  # in every Python runtime
    assert len(code) < 4096


# ------------------------------------------------------------ running the function on moto


class _Responses:
    """CloudFormation's pre-signed response URL: records each PUT body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        responses = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                responses.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cfn-response"


@pytest.fixture
def responses() -> Iterator[_Responses]:
    state = _Responses()
    # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
    thread = threading.Thread(target=state.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.server.shutdown()
        state.server.server_close()
        thread.join()


@pytest.fixture
def account(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh moto account whose credentials the function's boto3 finds, as in Lambda."""
    account_id = str(random.randrange(10**11, 10**12))
    sts = boto3.session.Session().client("sts", region_name="us-east-1", endpoint_url=moto_endpoint)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/dd0c-cost-forwarding-sync",
        RoleSessionName="sync",
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_REGION", HOME)  # Lambda sets it to the function's region
    return account_id


def _client(service: str, region: str) -> Any:
    """A client with the account's credentials from the environment (a new session each time:
    boto3's default session keeps the credentials it first found)."""
    return boto3.session.Session().client(service, region_name=region)


def _events(region: str) -> Any:
    return _client("events", region)


def _rules_in(region: str) -> dict[str, tuple[Any, list[dict[str, Any]]]]:
    """Name -> (pattern, targets) of the region's dd0c-cost-forward-* rules."""
    events = _events(region)
    found = {}
    for rule in events.list_rules(NamePrefix=PREFIX)["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        found[rule["Name"]] = (json.loads(rule["EventPattern"]), targets)
    return found


def _regions() -> tuple[list[str], list[str]]:
    """(enabled, not opted in) regions of the account, as moto lists them."""
    listed = _client("ec2", HOME).describe_regions(AllRegions=True)["Regions"]
    enabled = sorted(r["RegionName"] for r in listed if r["OptInStatus"] != "not-opted-in")
    return enabled, sorted(r["RegionName"] for r in listed if r["RegionName"] not in enabled)


def _create_home_rules(template: dict[str, Any], account_id: str) -> None:
    """What CloudFormation does for the stack's own Forward*Rule resources."""
    role_arn = f"arn:aws:iam::{account_id}:role/dd0c-cost-ForwardingRole-X"
    events = _events(HOME)
    for rule in _forwarding_rules(template).values():
        properties = rule["Properties"]
        events.put_rule(
            Name=properties["Name"],
            EventPattern=json.dumps(properties["EventPattern"]),
            Description=properties["Description"],
            State="ENABLED",
        )
        events.put_targets(
            Rule=properties["Name"],
            Targets=[{"Id": "dd0c-cost-bus", "Arn": BUS_ARN, "RoleArn": role_arn}],
        )


def _run(template: dict[str, Any], event: dict[str, Any], calls: set[str] | None = None) -> Any:
    """Run the function; every AWS action it calls is added to `calls`."""
    namespace: dict[str, Any] = {"__name__": "index"}
    exec(compile(_code(template), "index.py", "exec"), namespace)
    seen = calls if calls is not None else set()

    def record(model: Any, **_: Any) -> None:
        seen.add(f"{model.service_model.signing_name}:{model.name}")

    original = boto3.session.Session

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.events.register("before-call.*.*", record)

    boto3.session.Session = Recording
    try:
        return namespace["handler"](event, None)
    finally:
        boto3.session.Session = original


def _sync_role_actions(template: dict[str, Any]) -> set[str]:
    role = template["Resources"]["ForwardingSyncRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    actions = [
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    return {a for a in actions if not a.startswith(("logs:", "iam:"))}


def _request(kind: str, response_url: str) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": response_url,
        "StackId": f"arn:aws:cloudformation:{HOME}:123456789012:stack/dd0c-cost/1",
        "RequestId": f"request-{kind}",
        "ResourceType": "Custom::Dd0cCostForwardingSync",
        "LogicalResourceId": "ForwardingSync",
        "ResourceProperties": {},
        **({"PhysicalResourceId": "dd0c-cost-forwarding-sync"} if kind != "Create" else {}),
    }


@pytest.mark.slow
def test_create_forwards_in_every_enabled_region_and_delete_removes_every_copy(
    template: dict[str, Any], account: str, responses: _Responses
) -> None:
    _create_home_rules(template, account)
    home_rules = _rules_in(HOME)
    assert len(home_rules) == len(_forwarding_rules(template))
    enabled, not_opted_in = _regions()
    assert NOT_OPTED_IN in not_opted_in and len(enabled) > 15

    calls: set[str] = set()
    _run(template, _request("Create", responses.url), calls)

    assert [b["Status"] for b in responses.bodies] == ["SUCCESS"]
    for region in enabled:
        assert _rules_in(region) == home_rules, region
    for region in not_opted_in:
        assert _rules_in(region) == {}, region

    _run(template, _request("Delete", responses.url), calls)

    assert [b["Status"] for b in responses.bodies] == ["SUCCESS", "SUCCESS"]
    assert calls == _sync_role_actions(template)  # each granted action used, nothing else
    assert responses.bodies[1]["PhysicalResourceId"] == "dd0c-cost-forwarding-sync"
    left = {region: _rules_in(region) for region in enabled if region != HOME}
    assert all(rules == {} for rules in left.values()), left
    assert _rules_in(HOME) == home_rules  # CloudFormation deletes the stack's own rules


@pytest.mark.slow
def test_schedule_fills_a_region_without_rules_and_drops_stale_copies(
    template: dict[str, Any], account: str
) -> None:
    _create_home_rules(template, account)
    events = _events(HOME)
    events.remove_targets(Rule=f"{PREFIX}es", Ids=["dd0c-cost-bus"])
    events.delete_rule(Name=f"{PREFIX}es")  # a service dd0c stopped pricing
    stale = _events("sa-east-1")  # a region whose copy predates that
    stale.put_rule(Name=f"{PREFIX}es", EventPattern='{"source": ["aws.es"]}')
    stale.put_targets(Rule=f"{PREFIX}es", Targets=[{"Id": "x", "Arn": BUS_ARN}])
    enabled, _ = _regions()

    result = _run(template, {"source": "aws.events", "detail-type": "Scheduled Event"})

    assert result == {"rules": len(_forwarding_rules(template)) - 1, "failed": {}}
    home_rules = _rules_in(HOME)
    assert f"{PREFIX}es" not in home_rules and "sa-east-1" in enabled
    for region in enabled:
        assert _rules_in(region) == home_rules, region


def test_a_failing_create_fails_the_stack_with_the_reason(
    template: dict[str, Any], responses: _Responses, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: unreachable
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_REGION", HOME)
    _run(template, _request("Create", responses.url))
    _run(template, _request("Delete", responses.url))
    [create, delete] = responses.bodies
    assert create["Status"] == "FAILED"
    assert "dd0c forwarding sync failed" in create["Reason"]
    assert delete["Status"] == "SUCCESS"  # a stack stays deletable
