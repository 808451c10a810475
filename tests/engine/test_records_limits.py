"""Input limits of the CloudTrail boundary: any nesting depth, out-of-range times, no crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine import Skipped, normalize_record
from engine.records import MAX_JSON_DEPTH, MAX_LIST_NESTING, iter_records, json_depth
from pricing import load_catalogue
from tests.trails import run_instances

CATALOGUE = load_catalogue()
WHEN = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)


def wrapped(value: Any, depth: int) -> Any:
    """`value` inside `depth` nested lists, built without recursion."""
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [1, MAX_LIST_NESTING])
def test_records_in_nested_lists_are_found(depth: int) -> None:
    rec = run_instances("e-1", WHEN, ["i-1"])
    assert list(iter_records(wrapped({"Records": [rec]}, depth))) == [rec]


@pytest.mark.parametrize("depth", [MAX_LIST_NESTING + 1, 1_000, 100_000])
def test_deeper_lists_are_yielded_as_is_without_recursion(depth: int) -> None:
    deep = wrapped(run_instances("e-1", WHEN, ["i-1"]), depth)
    (only,) = list(iter_records(deep))
    assert isinstance(only, list)
    skipped = normalize_record(only, CATALOGUE)
    assert isinstance(skipped, Skipped) and skipped.malformed


def test_json_depth_counts_containers_and_stops_past_the_limit() -> None:
    assert json_depth(1) == 0
    assert json_depth({"a": [1, {"b": {}}]}) == 4
    assert json_depth(wrapped({}, 100_000)) == MAX_JSON_DEPTH + 1


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2100-01-01"]
)
def test_event_times_outside_the_supported_range_are_malformed(when: str) -> None:
    rec = {**run_instances("e-1", WHEN, ["i-1"]), "eventTime": when}
    skipped = normalize_record(rec, CATALOGUE)
    assert isinstance(skipped, Skipped) and skipped.malformed and "eventTime" in skipped.reason


def test_a_record_too_deep_to_identify_is_malformed_not_a_crash() -> None:
    rec = run_instances("e-1", WHEN, ["i-1"])
    del rec["eventID"]  # the id is then derived from the whole record
    rec["requestParameters"]["tagSpecificationSet"] = wrapped({}, 300)
    skipped = normalize_record(rec, CATALOGUE)
    assert isinstance(skipped, Skipped) and skipped.malformed and "eventID" in skipped.reason
