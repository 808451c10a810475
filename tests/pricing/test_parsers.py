"""The generator's parsers on small hand-made inputs shaped like the real sources."""

from __future__ import annotations

import pytest

from pricing._parse_common import attribute_of, location_of, parse_price
from pricing._parse_ec2 import is_metal, merge_linux, windows_prices
from pricing._parse_rds import parse_label
from pricing._parse_regions import build_regions, code_from_filename
from pricing._sources import MeteredUnitMap
from pricing.errors import SourceFormatError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.0960000000", 0.096), ("55.0400000000", 55.04), ("0.0000033334", 0.0000033334)],
)
def test_parse_price(text: str, expected: float) -> None:
    assert parse_price(text, "test") == expected


def test_zero_price_is_absent() -> None:
    assert parse_price("0.0000000000", "test") is None


@pytest.mark.parametrize("text", ["abc", "-1", "nan", "inf"])
def test_bad_price_is_a_source_error(text: str) -> None:
    with pytest.raises(SourceFormatError, match="test"):
        parse_price(text, "test")


def test_location_keys() -> None:
    key = "US West (Oregon) (Instance Type: db.m5.large, Memory: 8 GiB, vCPU: 2)"
    assert location_of(key, " (Instance Type: ") == "US West (Oregon)"
    assert attribute_of(key, "Instance Type") == "db.m5.large"
    assert attribute_of(key, "vCPU") == "2"
    assert (
        attribute_of("EU (Ireland) (Instance Type: db.r6g.large)", "Instance Type")
        == "db.r6g.large"
    )
    assert attribute_of("EU (Ireland)", "Instance Type") is None
    notebook = "US East (Ohio) (Instance: ml.t3.medium, Instance Type: ml.t3.medium-Notebook)"
    assert attribute_of(notebook, "Instance") == "ml.t3.medium"


def _rds(edition_licence: str, deployment: str) -> str:
    """An RDS label as aws-price-watcher writes it, for one class."""
    return (
        f"Database Instance {edition_licence} db m5.large General purpose {deployment} Current Gen"
    )


def _rds_set(edition_licence: str) -> str:
    """A grouped Aurora label: the set name carries the attributes."""
    return f"[Database Instance {edition_licence} Memory optimized Single-AZ Current Generation]"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (_rds("PostgreSQL No license required", "Single-AZ"), ("postgres", "none", "single")),
        (_rds("MySQL No license required", "Multi-AZ"), ("mysql", "none", "multi")),
        (_rds("MySQL No license required", "Multi-AZ readable standbys"), None),
        (
            _rds_set("Aurora PostgreSQL No license required Aurora IO Optimization Mode") + " x;y",
            ("aurora-postgresql-io-optimized", "none", "single"),
        ),
        (_rds_set("Aurora MySQL No license required"), ("aurora-mysql", "none", "single")),
        (
            _rds("SQL Server Web License included", "Single-AZ"),
            ("sqlserver-web", "license-included", "single"),
        ),
        (
            _rds("Oracle Standard Two Bring your own license", "Multi-AZ"),
            ("oracle-se2", "bring-your-own-license", "multi"),
        ),
        (_rds("Db2 Marketplace", "Single-AZ"), None),
        (_rds("Oracle Standard Bring your own license", "Multi-AZ"), None),
        ("-BU-3-Up-QlkGTKkSicX5ypPfFoSOMp6tSQ0o9D1T80 V1", None),
        ("Database Storage Single AZ General Purpose-GP3", None),
    ],
)
def test_rds_labels(label: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_label(label) == expected


def _shop_file(name: str, rows: dict[str, str]) -> MeteredUnitMap:
    return MeteredUnitMap(
        manifest={"hawkFilePublicationDate": "2025-04-04T22:41:22Z"},
        regions={
            name: {
                f"{t} row": {
                    "price": price,
                    "Instance Type": t,
                    "Operating System": "Linux",
                    "License Model": "No License required",
                }
                for t, price in rows.items()
            }
        },
    )


KARPENTER_HEADER = "instance_type,region,os,tenancy,usd_per_hour,generated_at\n"


def test_merge_linux_follows_the_source_rules() -> None:
    shop = {
        "us-east-1-ondemand.json": _shop_file(
            "US East (N. Virginia)",
            {
                "m5.large": "0.0960000000",
                "p5.48xlarge": "98.32",
                "old.large": "0.5",
                "c6g.metal": "2.176",
            },
        )
    }
    page = {
        "OnDemand Linux-instancetype-p5.48xlarge": {
            "US East (N. Virginia)": "55.04",
            "US East (Boston)": "60.0",
        },
        "OnDemand Linux-instancetype-m5.large": {"US East (N. Virginia)": "0.096"},
        "OnDemand Linux-instancetype-c6g.metal": {"US East (N. Virginia)": "2.176"},
    }
    karpenter = KARPENTER_HEADER + "".join(
        f"{t},us-east-1,linux,shared,{p},2026-07-20T13:44:30Z\n"
        for t, p in [
            ("m5.large", "0.096"),
            ("c6g.metal", "2.3066"),
            ("m9g.large", "0.09"),
            ("p5.48xlarge", "50"),
        ]
    )
    names = {"US East (N. Virginia)": "us-east-1"}
    linux = merge_linux(shop, page, karpenter, names)
    assert linux.prices == {
        "us-east-1": {
            "m5.large": 0.096,
            "p5.48xlarge": 50.0,  # Karpenter is newer and wins ...
            "c6g.metal": 2.176,  # ... except for metal sizes
            "old.large": 0.5,  # only ec2.shop has it
            "m9g.large": 0.09,  # only Karpenter has it
        }
    }
    assert linux.replaced == {"us-east-1": {"p5.48xlarge": 55.04}}
    assert linux.origin["ec2.shop"]["us-east-1"] == {"old.large"}
    assert linux.origin["karpenter"]["us-east-1"] == {"m9g.large", "p5.48xlarge"}


def test_karpenter_rows_outside_us_east_1_are_a_source_error() -> None:
    bad = KARPENTER_HEADER + "m5.large,eu-west-1,linux,shared,0.1,2026-07-20T13:44:30Z\n"
    with pytest.raises(SourceFormatError, match="karpenter"):
        merge_linux({}, {}, bad, {})


@pytest.mark.parametrize(
    ("instance_type", "metal"),
    [("c6g.metal", True), ("m7i.metal-24xl", True), ("m5.large", False), ("metal.large", False)],
)
def test_is_metal(instance_type: str, metal: bool) -> None:
    assert is_metal(instance_type) is metal


def test_windows_prices_skip_zero_and_the_truncated_tail() -> None:
    text = (
        "Instance type: t3.medium,\tArch: x86_64,\tLinux OD cost in us-east-1: 0.0416,\t"
        "Windows OD cost in us-east-1: 0.06,\tRHEL OD cost in us-east-1: 0.1366\n"
        "Instance type: a1.large,\tLinux OD cost in us-east-1: 0.051,\t"
        "Windows OD cost in us-east-1: 0,\tSLES OD cost in us-east-1: 0.1073\n"
        "Instance type: t4g.medium,\tLinux OD co"
    )
    assert windows_prices(text) == ({"t3.medium": 0.06}, ["a1.large"])


def test_regions_add_aliases_and_new_regions_and_ignore_zone_codes() -> None:
    shop = {
        "eu-west-1-ondemand.json": _shop_file("EU (Ireland)", {}),
        "eu-west-1-previousgen-ondemand.json": _shop_file("EU (Ireland)", {}),
    }
    aliases = [{"eu-west-1": "Europe (Ireland)", "us-west-2-lax-1": "US West (Los Angeles)"}]
    codes, names = build_regions(shop, aliases)
    assert codes["eu-west-1"] == "EU (Ireland)"
    assert codes["ap-east-2"] == "Asia Pacific (Taipei)"
    assert names["Europe (Ireland)"] == names["EU (Ireland)"] == "eu-west-1"
    assert "US West (Los Angeles)" not in names


def test_a_name_for_two_codes_is_a_source_error() -> None:
    shop = {
        "eu-west-1-ondemand.json": _shop_file("EU (Ireland)", {}),
        "eu-west-2-ondemand.json": _shop_file("EU (London)", {}),
    }
    with pytest.raises(SourceFormatError, match="two codes"):
        build_regions(shop, [{"eu-west-2": "EU (Ireland)"}])


def test_region_code_from_file_name() -> None:
    assert code_from_filename("us-gov-west-1-previousgen-ondemand.json") == "us-gov-west-1"
    with pytest.raises(SourceFormatError):
        code_from_filename("us-east-1-reserved.json")
