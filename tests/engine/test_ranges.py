"""Every number an event carries is in range: a cost is never negative, never absurd, and every
integer fits MongoDB's 64-bit integers (issue 11: `CreateVolume` size -10**9 was priced at
-$344,493.11/h, and sizes of 10**11 GiB and more could not be stored)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import CostEvent, Inventory, Skipped, normalize_record
from engine.parsers import SUPPORTED_EVENTS
from pricing import load_catalogue

CATALOGUE = load_catalogue()
INT64_MAX = 2**63 - 1
# 100,000 of the dearest instance AWS sells (about $400/h) is $4e7/h: anything above is a bug.
SANE_MAX_HOURLY = 1e8

numbers = st.one_of(
    st.integers(),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-1, 0, 1, 2**63, -(2**63), 10**11, -(10**9), "1e3", "-5", " 7 "]),
)
NUMERIC_FIELDS = (
    "size", "volumeSize", "instanceCount", "minCount", "maxCount", "desiredCapacity", "minSize",
    "maxSize", "numberOfNodes", "numCacheNodes", "numCacheClusters", "numNodeGroups",
    "replicasPerNodeGroup", "memorySize", "provisionedConcurrentExecutions",
    "requestedProvisionedConcurrentExecutions", "allocatedStorage", "iops", "dedicatedMasterCount",
    "TotalTargetCapacity", "initialInstanceCount", "desiredSize", "storageThroughput",
)  # fmt: skip
TEXT_FIELDS = {
    "instanceType": st.sampled_from(
        ["m5.large", "p4d.24xlarge", "ml.m5.xlarge", "r5.large.search"]
    ),  # noqa: E501
    "dBInstanceClass": st.sampled_from(["db.m5.large", "db.r6g.16xlarge"]),
    "dBClusterInstanceClass": st.just("db.r6gd.xlarge"),
    "nodeType": st.sampled_from(["ra3.4xlarge", "dc2.large"]),
    "cacheNodeType": st.just("cache.r6g.large"),
    "volumeType": st.sampled_from(["gp2", "gp3", "io1", "io2"]),
    "storageType": st.sampled_from(["gp2", "gp3", "io1"]),
    "engine": st.sampled_from(["postgres", "mysql", "redis"]),
    "functionName": st.just("f"),
    "dBInstanceIdentifier": st.just("db1"),
    "autoScalingGroupName": st.just("asg"),
}

leaf = st.one_of(numbers, st.booleans(), st.none())


@st.composite
def numeric_dicts(draw: st.DrawFn, depth: int = 2) -> dict[str, Any]:
    """A request/response-like dict whose numeric fields take hostile values."""
    out: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(NUMERIC_FIELDS), max_size=6, unique=True)):
        out[key] = draw(numbers)
    for key in draw(st.lists(st.sampled_from(sorted(TEXT_FIELDS)), max_size=4, unique=True)):
        out[key] = draw(TEXT_FIELDS[key])
    if depth > 0:
        for key in draw(
            st.lists(
                st.sampled_from(
                    [
                        "ebs", "launchSpecification", "scalingConfig", "clusterConfig",
                        "elasticsearchClusterConfig", "TargetCapacitySpecification", "instances",
                    ]
                ),
                max_size=2,
                unique=True,
            )
        ):  # fmt: skip
            out[key] = draw(numeric_dicts(depth - 1))
        for key in draw(
            st.lists(
                st.sampled_from(
                    ["instancesSet", "blockDeviceMapping", "instanceGroups", "productionVariants"]
                ),
                max_size=2,
                unique=True,
            )
        ):
            entries = draw(st.lists(numeric_dicts(depth - 1), min_size=1, max_size=3))
            out[key] = {"items": entries} if key != "instanceGroups" else entries
    return out


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    source, name = draw(st.sampled_from(SUPPORTED_EVENTS))
    return {
        "eventSource": source,
        "eventName": name,
        "eventTime": "2026-11-02T03:04:05Z",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventID": draw(st.uuids()).hex,
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
        "requestParameters": draw(numeric_dicts()),
        "responseElements": draw(st.one_of(st.none(), numeric_dicts())),
    }


def _integers(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _integers(v)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in _integers(v)]
    return []


def _check(result: CostEvent | Skipped) -> None:
    if isinstance(result, Skipped):
        assert result.reason
        return
    for cost in (result.estimated_hourly_cost, result.unit_hourly_cost):
        assert cost is None or 0 <= cost <= SANE_MAX_HOURLY, result
    for number in _integers(result.to_json_dict()):
        assert 0 <= number <= INT64_MAX, result


@pytest.mark.slow  # hypothesis, 600 examples: about 12 s
@settings(max_examples=600, deadline=None)
@given(records())
def test_every_supported_event_has_a_sane_cost_and_int64_numbers(record: dict[str, Any]) -> None:
    _check(normalize_record(record, CATALOGUE))


@pytest.mark.slow  # hypothesis, 200 batches: about 12 s
@settings(max_examples=200, deadline=None)
@given(st.lists(records(), min_size=2, max_size=5))
def test_numbers_learnt_by_the_inventory_stay_in_range(batch: list[dict[str, Any]]) -> None:
    inventory = Inventory()
    for record in batch:
        result = normalize_record(record, CATALOGUE, inventory)
        _check(result)
        if isinstance(result, CostEvent):
            inventory.remember(result)


def _record(source: str, name: str, request: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventSource": source,
        "eventName": name,
        "eventTime": "2026-11-02T03:04:05Z",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventID": "e1",
        "userIdentity": {"type": "Root", "accountId": "111122223333"},
        "requestParameters": request,
        "responseElements": None,
    }


@pytest.mark.parametrize(
    ("name", "request_", "reason"),
    [
        ("CreateVolume", {"size": -(10**9), "volumeType": "gp3"}, "size (GiB) -1,000,000,000"),
        ("CreateVolume", {"size": 10**11, "volumeType": "gp3"}, "out of range (0 to 65,536)"),
        ("CreateVolume", {"size": 2**70, "volumeType": "gp3"}, "~10^21"),
        (
            "RequestSpotInstances",
            {"instanceCount": -5, "launchSpecification": {"instanceType": "m5.large"}},
            "quantity -5 out of range",
        ),
        (
            "RunInstances",
            {"instanceType": "m5.large", "instancesSet": {"items": [{"minCount": -3}]}},
            "quantity -3",
        ),
    ],
)
def test_negative_or_huge_numbers_are_rejected_with_a_reason(
    name: str, request_: dict[str, Any], reason: str
) -> None:
    result = normalize_record(_record("ec2.amazonaws.com", name, request_), CATALOGUE)
    assert isinstance(result, Skipped)
    assert result.malformed
    assert reason in result.reason


def test_largest_real_volume_is_priced() -> None:
    request = {"size": 65_536, "volumeType": "gp3"}
    result = normalize_record(_record("ec2.amazonaws.com", "CreateVolume", request), CATALOGUE)
    assert isinstance(result, CostEvent)
    assert result.estimated_hourly_cost == pytest.approx(65_536 * 0.08 / 730, rel=1e-3)
