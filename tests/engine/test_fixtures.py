"""Real CloudTrail records (AWS documentation and published test fixtures, see
tests/events/cloudtrail/SOURCES.md) normalise with every expected field right."""

from __future__ import annotations

from typing import Any

import pytest

from engine import CostEvent, Skipped, iter_records, normalize_record
from pricing import load_catalogue
from tests.fixtures import CLOUDTRAIL, cloudtrail_expectations, load

CATALOGUE = load_catalogue()
EXPECTED = cloudtrail_expectations()


def _check_subset(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        if key in ("kind", "reasonContains"):
            continue
        got = actual.get(key)
        if isinstance(want, dict):
            assert isinstance(got, dict), f"{where}.{key}: {got!r}"
            _check_subset(got, want, f"{where}.{key}")
        else:
            assert got == want, f"{where}.{key}: got {got!r}, want {want!r}"


def _check(result: CostEvent | Skipped, expected: dict[str, Any], where: str) -> None:
    if expected["kind"] == "skipped":
        assert isinstance(result, Skipped), f"{where}: expected skipped, got {result!r}"
        assert expected.get("reasonContains", "") in result.reason
        return
    assert isinstance(result, CostEvent), f"{where}: {result!r}"
    _check_subset(result.to_json_dict(), expected, where)


def test_at_least_30_real_records_are_collected() -> None:
    files = sorted(p for p in CLOUDTRAIL.rglob("*.json") if p.name != "expected.json")
    assert len(files) >= 30
    assert {str(p.relative_to(CLOUDTRAIL)) for p in files} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalises_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    records = list(iter_records(load(f"cloudtrail/{name}")))
    wanted = expected if isinstance(expected, list) else [expected]
    assert len(records) == len(wanted)
    for index, (record, want) in enumerate(zip(records, wanted, strict=True)):
        _check(normalize_record(record, CATALOGUE), want, f"{name}[{index}]")


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if not isinstance(e, list)))
def test_every_launch_fixture_has_a_cost_or_says_why(name: str) -> None:
    result = normalize_record(load(f"cloudtrail/{name}"), CATALOGUE)
    if isinstance(result, CostEvent) and result.action in ("launch", "start", "modify"):
        assert result.estimated_hourly_cost is not None or result.cost_note
