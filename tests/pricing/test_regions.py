"""Region codes <-> display names: complete, both ways, with old and new spellings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pricing import all_region_codes, display_name, region_code


def test_there_are_36_regions() -> None:
    codes = all_region_codes()
    assert len(codes) == 36
    assert list(codes) == sorted(codes)


@pytest.mark.parametrize("code", all_region_codes())
def test_every_code_has_a_display_name_and_back(code: str) -> None:
    name = display_name(code)
    assert name is not None
    assert region_code(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("US East (N. Virginia)", "us-east-1"),
        ("EU (Ireland)", "eu-west-1"),
        ("Europe (Ireland)", "eu-west-1"),
        ("EU (Zurich)", "eu-central-2"),
        ("Europe (Zurich)", "eu-central-2"),
        ("Asia Pacific (Tokyo)", "ap-northeast-1"),
        ("AWS GovCloud (US)", "us-gov-west-1"),
        ("AWS GovCloud (US-West)", "us-gov-west-1"),
        ("Asia Pacific (Taipei)", "ap-east-2"),
        ("Asia Pacific (New Zealand)", "ap-southeast-6"),
    ],
)
def test_display_names_map_to_codes(name: str, code: str) -> None:
    assert region_code(name) == code


@pytest.mark.parametrize(
    "name",
    ["US East (Boston)", "US East (Verizon) - Boston", "US West (Los Angeles)", "Taiwan (Taipei)"],
)
def test_local_and_wavelength_zones_are_not_regions(name: str) -> None:
    assert region_code(name) is None


def test_unknown_names_and_codes_are_none() -> None:
    assert region_code("Mars (Olympus Mons)") is None
    assert display_name("mars-1") is None


def test_mapping_agrees_with_every_ec2_shop_file(source_dir: Path) -> None:
    paths = sorted((source_dir / "ec2.shop" / "data" / "ec2").glob("*.json"))
    assert len(paths) == 57
    for path in paths:
        code = path.name.replace("-previousgen", "").replace("-ondemand.json", "")
        (name,) = json.loads(path.read_text())["regions"]
        assert display_name(code) == name
        assert region_code(name) == code
