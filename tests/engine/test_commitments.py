"""Issue 14: commitments, capacity, containers and scaling normalise, price and score right."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from engine import CostEvent, Inventory, Skipped, normalize_record, score_event
from engine.parsers import FAMILIES, SUPPORTED_EVENTS
from pricing import fargate_task, load_catalogue
from tests.engine.test_scoring import learn
from tests.fixtures import load

CATALOGUE = load_catalogue()
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _event(raw: Any, inventory: Inventory | None = None) -> CostEvent:
    result = normalize_record(raw, CATALOGUE, inventory)
    assert isinstance(result, CostEvent), result
    if inventory is not None:
        inventory.remember(result)
    return result


def _fixture(name: str) -> Any:
    return load(f"cloudtrail/{name}")


def test_every_new_family_is_supported_and_named() -> None:
    assert set(FAMILIES) == {"commitments", "capacity", "containers", "scaling"}
    pairs = set().union(*FAMILIES.values())
    assert len(pairs) == 15
    assert pairs <= set(SUPPORTED_EVENTS)


def test_fargate_service_is_priced_from_its_task_definition_and_scaled() -> None:
    inventory = Inventory()
    _event(_fixture("ecs/register_task_definition_fargate.json"), inventory)
    task = fargate_task("us-east-1", 1.0, 2.0).usd  # 1 vCPU, 2 GB
    assert task is not None and task == pytest.approx(0.04048 + 2 * 0.004445)
    created = _event(_fixture("ecs/create_service_fargate.json"), inventory)
    assert created.size == "1vCPU-2GB"
    assert created.estimated_hourly_cost == pytest.approx(2 * task, abs=1e-6)
    scaled = _event(_fixture("ecs/update_service_desired_count.json"), inventory)
    assert scaled.quantity == 40
    assert scaled.estimated_hourly_cost == pytest.approx(40 * task, abs=1e-6)


def test_run_task_of_an_unseen_definition_says_why_it_is_unpriced() -> None:
    event = _event(_fixture("ecs/run_task_fargate.json"), Inventory())
    assert event.estimated_hourly_cost is None
    assert "task definition not seen before" in (event.cost_note or "")


def test_fargate_outside_the_published_regions_is_unknown_with_the_reason() -> None:
    quote = fargate_task("eu-west-1", 1.0, 2.0)
    assert quote.usd is None and "no Fargate price for eu-west-1" in (quote.reason or "")


def test_arm_and_extra_ephemeral_storage_change_the_task_rate() -> None:
    arm = fargate_task("us-east-1", 0.25, 0.5, "arm64", 50).usd
    assert arm == pytest.approx(0.25 * 0.03238 + 0.5 * 0.00356 + 30 * 0.000111, abs=1e-6)


@pytest.mark.parametrize(
    ("name", "severity", "amount"),
    [
        ("savingsplans/create_savings_plan_awsdocs.json", "warning", "$21,900.00 over 1 year"),
        ("rds/purchase_reserved_db_instances_offering.json", "warning", "$8,902.08 over 1 year"),
        ("ec2/purchase_host_reservation.json", "warning", "$13,131.24 over 1 year"),
        ("ec2/purchase_reserved_instances_offering.json", "warning", "an unknown amount"),
        ("bedrock/create_provisioned_model_throughput.json", "critical", "$129,648.00 over"),
    ],
)
def test_commitments_are_at_least_warning_and_say_who_committed_what(
    name: str, severity: str, amount: str
) -> None:
    event = _event(_fixture(name))
    verdict = score_event(event, None, NOW)
    assert verdict.anomaly is not None
    assert verdict.anomaly.severity == severity
    reason = verdict.anomaly.reasons[0]
    assert amount in reason and "no stop or delete command undoes it" in reason
    assert str(event.actor.principal_arn) in reason
    assert verdict.anomaly.signals["commitment"] == 1.0


def test_a_small_commitment_keeps_its_hourly_band() -> None:
    raw = copy.deepcopy(_fixture("savingsplans/create_savings_plan_awsdocs.json"))
    raw["requestParameters"]["commitment"] = "0.10"  # $876 a year: under the $1,000 floor
    event = _event(raw)
    assert event.commitment is not None and event.commitment.total_usd == 876.0
    assert score_event(event, None, NOW).anomaly is None


@pytest.mark.parametrize("value", ["-1", "1e12", "lots", True])
def test_an_impossible_commitment_is_malformed(value: object) -> None:
    raw = copy.deepcopy(_fixture("savingsplans/create_savings_plan_awsdocs.json"))
    raw["requestParameters"]["commitment"] = value
    result = normalize_record(raw, CATALOGUE)
    assert isinstance(result, Skipped) and result.malformed


def test_commitment_is_in_the_contract_json_only_when_present() -> None:
    sp = _event(_fixture("savingsplans/create_savings_plan_awsdocs.json")).to_json_dict()
    committed = sp["commitment"]
    assert isinstance(committed, dict)
    assert committed == {
        "kind": "savings-plan",
        "totalUsd": 21900.0,
        "upfrontUsd": None,
        "hourlyUsd": 2.5,
        "termHours": 8760,
        "count": 1,
        "offeringId": "[savingsPlanOfferingId]",
        "note": committed["note"],
    }
    launch = _event(_fixture("ec2/run_instances_iam_user_cli.json")).to_json_dict()
    assert "commitment" not in launch


def test_set_desired_capacity_is_typed_from_the_group_seen_before() -> None:
    inventory = Inventory()
    _event(_fixture("ec2/create_launch_template_eks_nodegroup.json"), inventory)
    group = _event(_fixture("autoscaling/create_auto_scaling_group_eks_nodegroup.json"), inventory)
    raw = copy.deepcopy(_fixture("autoscaling/set_desired_capacity.json"))
    raw["requestParameters"]["autoScalingGroupName"] = group.resource_ids[0]
    raw["awsRegion"] = group.region
    raw["recipientAccountId"] = group.account_id
    event = _event(raw, inventory)
    rate = CATALOGUE.ec2("t3.medium", group.region).usd
    assert rate is not None
    assert event.size == "t3.medium"
    assert event.estimated_hourly_cost == pytest.approx(20 * rate, abs=1e-6)


def _scaled(created_count: int, scaled_count: int) -> tuple[CostEvent, CostEvent]:
    """A 4 vCPU / 8 GB Fargate service created with one count, scaled by its creator 2 days on."""
    inventory = Inventory()
    definition = copy.deepcopy(_fixture("ecs/register_task_definition_fargate.json"))
    definition["requestParameters"].update(cpu="4096", memory="8192")
    _event(definition, inventory)
    create = copy.deepcopy(_fixture("ecs/create_service_fargate.json"))
    create["requestParameters"]["desiredCount"] = created_count
    created = _event(create, inventory)
    update = copy.deepcopy(_fixture("ecs/update_service_desired_count.json"))
    update["requestParameters"]["desiredCount"] = scaled_count
    update["userIdentity"] = create["userIdentity"]
    update["eventTime"] = "2018-06-22T19:12:00Z"
    return created, _event(update, inventory)


@pytest.mark.parametrize(
    ("created", "scaled", "severity"),
    [
        (2, 40, "warning"),  # $0.39/h -> $7.90/h: 20x the baseline's largest
        (10, 40, "info"),  # $1.97/h -> $7.90/h: 4x, a repeat of the creator's pattern
    ],
)
def test_a_cold_start_repeat_far_above_the_baseline_is_no_repeat(
    created: int, scaled: int, severity: str
) -> None:
    first, second = _scaled(created, scaled)
    baseline = learn([first])
    verdict = score_event(second, baseline, second.event_time)
    task = fargate_task("us-east-1", 4, 8).usd
    assert task is not None
    assert second.estimated_hourly_cost == pytest.approx(40 * task)
    assert verdict.anomaly is not None and verdict.anomaly.severity == severity


@pytest.mark.parametrize(
    ("iops", "throughput", "unpriced"),
    [(3000, 125, False), (16000, 125, True), (3000, 1000, True)],
)
def test_modify_volume_keeps_iops_and_throughput_and_says_what_is_not_priced(
    iops: int, throughput: int, unpriced: bool
) -> None:
    raw = copy.deepcopy(_fixture("ec2/modify_volume_grow_to_gp3.json"))
    target = raw["responseElements"]["ModifyVolumeResponse"]["volumeModification"]
    target.update(targetIops=iops, targetThroughput=throughput)
    event = _event(raw)
    assert event.details == {"iops": iops, "storageThroughput": throughput}
    assert ("IOPS and throughput are not priced" in (event.cost_note or "")) == unpriced
    gp3 = CATALOGUE.ebs("gp3", event.region).usd
    assert gp3 is not None
    assert event.estimated_hourly_cost == pytest.approx(500 * gp3 / 730, abs=1e-6)


def test_a_stored_commitment_event_reads_back_the_same() -> None:
    event = _event(_fixture("rds/purchase_reserved_db_instances_offering.json"))
    assert CostEvent.model_validate(event.to_json_dict()) == event


def test_increase_replica_count_is_typed_from_the_group_seen_before() -> None:
    inventory = Inventory()
    modify = copy.deepcopy(_fixture("elasticache/increase_replica_count.json"))
    modify["eventName"] = "ModifyReplicationGroup"
    modify["requestParameters"] = {
        "replicationGroupId": "my-redis-rg",
        "cacheNodeType": "cache.r6g.large",
        "numCacheNodes": 2,
    }
    _event(modify, inventory)
    event = _event(_fixture("elasticache/increase_replica_count.json"), inventory)
    node = CATALOGUE.elasticache("cache.r6g.large", event.region).usd
    assert node is not None
    assert (event.size, event.quantity) == ("cache.r6g.large", 4)  # a primary + 3 replicas
    assert event.estimated_hourly_cost == pytest.approx(4 * node, abs=1e-6)


def test_bedrock_throughput_without_a_term_or_known_model_is_unknown_with_the_reason() -> None:
    raw = copy.deepcopy(_fixture("bedrock/create_provisioned_model_throughput.json"))
    del raw["requestParameters"]["commitmentDuration"]
    event = _event(raw)
    assert event.estimated_hourly_cost is None and event.commitment is None
    assert "not offered with commitment none" in (event.cost_note or "")
    raw["requestParameters"]["modelId"] = "arn:aws:bedrock:us-west-2:123456789012:custom-model/x"
    raw["requestParameters"]["commitmentDuration"] = "OneMonth"
    custom = _event(raw)
    assert custom.estimated_hourly_cost is None
    assert "no provisioned-throughput rate for" in (custom.cost_note or "")
    assert custom.commitment is not None and custom.commitment.total_usd is None
    verdict = score_event(custom, None, NOW)
    assert verdict.anomaly is not None and verdict.anomaly.severity == "warning"
