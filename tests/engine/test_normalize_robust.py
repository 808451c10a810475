"""Normalisation never crashes: any JSON value in, a CostEvent or a Skipped with a reason out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import CostEvent, Skipped, normalize_record
from engine.parsers import SUPPORTED_EVENTS
from pricing import load_catalogue

CATALOGUE = load_catalogue()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip

FIELDS = (
    "instancesSet", "instanceType", "items", "instanceId", "blockDeviceMapping", "ebs",
    "volumeSize", "dBInstanceClass", "engine", "multiAZ", "desiredCapacity", "numberOfNodes",
    "nodeType", "instanceCount", "memorySize", "functionName", "scalingConfig", "instanceTypes",
    "clusterConfig", "loadBalancers", "type", "size", "volumeType", "instanceMarketOptions",
)  # fmt: skip

shaped = st.recursive(
    json_values,
    lambda inner: (
        st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5) | st.lists(inner, max_size=3)
    ),
    max_leaves=25,
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    source, name = draw(st.sampled_from(SUPPORTED_EVENTS))
    record: dict[str, Any] = {
        "eventSource": source,
        "eventName": name,
        "eventTime": draw(st.sampled_from(["2026-11-02T03:04:05Z", "yesterday", 12])),
        "awsRegion": draw(st.sampled_from(["us-east-1", "eu-west-1", "mars-north-1"])),
        "recipientAccountId": "111122223333",
        "eventID": draw(st.uuids()).hex,
        "userIdentity": draw(st.one_of(json_values, st.just({"type": "Root"}))),
        "requestParameters": draw(shaped),
        "responseElements": draw(shaped),
    }
    if draw(st.booleans()):
        record.pop(draw(st.sampled_from(sorted(record))))
    return record


@pytest.mark.slow  # hypothesis, 400 examples: 2-3 s
@settings(max_examples=400, deadline=None)
@given(records())
def test_any_shape_of_a_supported_event_is_handled(record: dict[str, Any]) -> None:
    result = normalize_record(record, CATALOGUE)
    assert isinstance(result, CostEvent | Skipped)
    if isinstance(result, Skipped):
        assert result.reason
    else:
        assert result.estimated_hourly_cost is None or result.estimated_hourly_cost >= 0


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_is_handled(value: Any) -> None:
    result = normalize_record(value, CATALOGUE)
    assert isinstance(result, Skipped)
    assert result.reason


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"eventName": "RunInstances"}, "not a CloudTrail record"),
        (
            {"eventName": "DescribeInstances", "eventSource": "ec2.amazonaws.com"},
            "not a cost event",
        ),
        (
            {"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com",
             "eventTime": "2026-11-02T03:04:05Z"},
            "awsRegion",
        ),
        (
            {"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com",
             "eventTime": "2026-11-02T03:04:05Z", "awsRegion": "us-east-1"},
            "recipientAccountId",
        ),
    ],
)  # fmt: skip
def test_malformed_records_get_a_reason(record: dict[str, Any], reason: str) -> None:
    result = normalize_record(record, CATALOGUE)
    assert isinstance(result, Skipped)
    assert reason in result.reason
