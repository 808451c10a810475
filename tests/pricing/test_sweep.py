"""Every EC2 Linux price in the catalogue against the raw sources, re-read here independently.

This reads the source files with the standard library only (none of the generator's code) and
applies SOURCES.md's rules from scratch: processed/ec2.json over ec2.shop; Karpenter for us-east-1
where it is newer, except `*.metal*` sizes the pricing pages also have.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import pytest

from pricing import Catalogue

# The two regions ec2.shop predates, mapped by hand in the generator too.
NEW_REGIONS = {"Asia Pacific (Taipei)": "ap-east-2", "Asia Pacific (New Zealand)": "ap-southeast-6"}

Pairs = dict[tuple[str, str], float]


def _shop(source: Path) -> tuple[Pairs, dict[str, str]]:
    pairs: Pairs = {}
    names: dict[str, str] = {}
    for path in sorted((source / "ec2.shop" / "data" / "ec2").glob("*.json")):
        code = path.name.replace("-previousgen", "").replace("-ondemand.json", "")
        doc = json.loads(path.read_text())
        for name, rows in doc["regions"].items():
            names[name] = code
            for row in rows.values():
                pairs[(row["Instance Type"], code)] = float(row["price"])
    return pairs, names


def _page(source: Path, names: dict[str, str]) -> Pairs:
    doc = json.loads((source / "aws-price-watcher" / "processed" / "ec2.json").read_text())
    pairs: Pairs = {}
    for label, locations in doc.items():
        instance_type = label.split("-instancetype-", 1)[1]
        for location, price in locations.items():
            if location in names:
                pairs[(instance_type, names[location])] = float(price)
    return pairs


def _karpenter(source: Path) -> dict[str, float]:
    with (source / "karpenter" / "ondemand-linux-us-east-1.csv").open() as handle:
        return {row["instance_type"]: float(row["usd_per_hour"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def expected(source_dir: Path) -> Pairs:
    shop, names = _shop(source_dir)
    names.update(NEW_REGIONS)
    merged = {**shop, **_page(source_dir, names)}
    for instance_type, price in _karpenter(source_dir).items():
        key = (instance_type, "us-east-1")
        if key in merged and "metal" in instance_type:
            continue
        merged[key] = price
    return merged


@pytest.fixture(scope="module")
def catalogue_pairs() -> set[tuple[str, str]]:
    """Every (type, region) Linux pair in the committed data file."""
    data = json.loads((resources.files("pricing") / "data" / "ec2.json").read_text())
    return {(t, region) for region, types in data["linux"].items() for t in types}


def test_catalogue_has_exactly_the_pairs_the_sources_have(
    catalogue_pairs: set[tuple[str, str]], expected: Pairs
) -> None:
    assert sorted(set(expected) - catalogue_pairs)[:10] == []
    assert sorted(catalogue_pairs - set(expected))[:10] == []


def test_every_linux_pair_matches_the_sources_within_one_percent(
    catalogue: Catalogue, catalogue_pairs: set[tuple[str, str]], expected: Pairs
) -> None:
    wrong = []
    for instance_type, region in sorted(catalogue_pairs):
        price = expected.get((instance_type, region))
        quote = catalogue.ec2(instance_type, region)
        if price is None or quote.usd is None or abs(quote.usd - price) > 0.01 * price:
            wrong.append(f"{instance_type} {region}: catalogue {quote.usd}, sources {price}")
    assert len(catalogue_pairs) >= 16_500
    assert wrong == [], f"{len(wrong)} pairs differ, e.g. {wrong[:5]}"
