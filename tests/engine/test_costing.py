"""Costing: what the event started, priced from the catalogue, caveats in costNote."""

from __future__ import annotations

from typing import Any

import pytest

from engine import CostEvent, Replay, normalize_record
from pricing import load_catalogue
from tests.fixtures import load

CAT = load_catalogue()


def _run(**request: Any) -> dict[str, Any]:
    record = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
    item = {"instanceId": "i-1", "instanceType": request.get("instanceType", "m5.large")}
    item.update(request.pop("item", {}))
    record["requestParameters"] = {"instanceType": item["instanceType"], **request}
    record["responseElements"] = {"instancesSet": {"items": [item, {**item, "instanceId": "i-2"}]}}
    return record


def _event(record: dict[str, Any]) -> CostEvent:
    result = normalize_record(record, CAT)
    assert isinstance(result, CostEvent), result
    return result


def test_quantity_times_unit_price() -> None:
    event = _event(_run(instanceType="p4d.24xlarge"))
    unit = CAT.ec2("p4d.24xlarge", "us-east-1").usd
    assert unit is not None
    assert event.quantity == 2 and event.resource_ids == ("i-1", "i-2")
    assert event.estimated_hourly_cost == pytest.approx(2 * unit)


def test_spot_is_priced_at_on_demand_as_an_upper_bound() -> None:
    event = _event(_run(instanceMarketOptions={"marketType": "spot"}))
    assert event.pricing.model == "spot"
    assert event.cost_note and "upper bound" in event.cost_note
    assert event.unit_hourly_cost == CAT.ec2("m5.large", "us-east-1").usd


def test_windows_uses_the_windows_rate_where_known() -> None:
    event = _event(_run(instanceType="t3.medium", item={"platform": "windows"}))
    assert event.pricing.os == "windows"
    assert event.unit_hourly_cost == CAT.ec2("t3.medium", "us-east-1", "windows").usd


def test_windows_elsewhere_falls_back_to_linux_as_a_lower_bound() -> None:
    record = _run(instanceType="m5.large", item={"platform": "windows"})
    record["awsRegion"] = "eu-west-1"
    event = _event(record)
    assert event.unit_hourly_cost == CAT.ec2("m5.large", "eu-west-1").usd
    assert event.cost_note and "lower bound" in event.cost_note


def test_ebs_volumes_of_the_block_device_mapping_are_added() -> None:
    mapping = {"items": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 730,
                                                           "volumeType": "gp3"}}]}  # fmt: skip
    event = _event(_run(blockDeviceMapping=mapping))
    gp3 = CAT.ebs("gp3", "us-east-1").usd
    ec2 = CAT.ec2("m5.large", "us-east-1").usd
    assert gp3 is not None and ec2 is not None
    assert event.unit_hourly_cost == pytest.approx(ec2 + gp3)  # 730 GiB x $/GB-month / 730 h


def test_unknown_type_has_no_price_and_says_why() -> None:
    event = _event(_run(instanceType="m99.huge"))
    assert event.estimated_hourly_cost is None
    assert event.cost_note and "m99.huge" in event.cost_note


def _lambda(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": f"id-{name}", "eventName": name, "eventSource": "lambda.amazonaws.com",
        "eventTime": "2026-01-01T00:00:00Z", "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
        "requestParameters": params,
    }  # fmt: skip


def test_provisioned_concurrency_uses_the_memory_of_the_function_seen_before() -> None:
    replay = Replay(CAT)
    create = _lambda("CreateFunction20150331", {"functionName": "api", "memorySize": 2048,
                                                "architectures": ["arm64"]})  # fmt: skip
    params = {"functionName": "api", "qualifier": "live", "provisionedConcurrentExecutions": 100}
    put = _lambda("PutProvisionedConcurrencyConfig", params)
    replay.process(create)
    event, _ = replay.process(put)
    assert isinstance(event, CostEvent)
    expected = CAT.lambda_provisioned_hourly("us-east-1", "arm64", 2048, 100).usd
    assert event.estimated_hourly_cost == pytest.approx(expected)
    alone = normalize_record(put, CAT)
    assert isinstance(alone, CostEvent)
    assert alone.cost_note and "128 MB" in alone.cost_note
