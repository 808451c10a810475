"""EC2 on-demand prices: Linux from three sources merged by SOURCES.md's rules, Windows from one.

Linux precedence, per (type, region):
1. aws-price-watcher `processed/ec2.json` (pricing pages, Nov 2025) over ec2.shop (Apr 2025):
   the newer file wins (AWS cut P4/P5 prices in June 2025).
2. Karpenter's us-east-1 table (Jul 2026) adds the types launched since, and being newer it also
   wins where it disagrees, except for `*.metal*` sizes: there its prices run 6-10 % above the
   pricing pages for no known reason, so the pricing-page price stays.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pricing._parse_common import Table, parse_price, store_in
from pricing._parse_regions import code_from_filename
from pricing._sources import MeteredUnitMap, Processed
from pricing.errors import SourceFormatError

SHOP = "ec2.shop"
KARPENTER = "karpenter"
KARPENTER_REGION = "us-east-1"
WINDOWS_REGION = "us-east-1"

_APW_PREFIX = "OnDemand Linux-instancetype-"
_SHOP_ROW = {"Operating System": "Linux", "License Model": "No License required"}
_KARPENTER_COLUMNS = ["instance_type", "region", "os", "tenancy", "usd_per_hour", "generated_at"]
_WINDOWS_TYPE = re.compile(r"Instance type: ([^,\s]+),")
_WINDOWS_PRICE = re.compile(r"Windows OD cost in us-east-1: ([0-9.]+)")


@dataclass
class Ec2Linux:
    """Merged Linux prices and the provenance of every price not from the default source."""

    prices: Table = field(default_factory=dict)
    origin: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    replaced: Table = field(default_factory=dict)

    def mark(self, source: str, region: str, instance_type: str) -> None:
        """Record that this pair's price came from `source`."""
        self.origin.setdefault(source, {}).setdefault(region, set()).add(instance_type)

    def unmark(self, region: str, instance_type: str) -> None:
        """Forget any non-default origin of this pair."""
        for regions in self.origin.values():
            regions.get(region, set()).discard(instance_type)


def is_metal(instance_type: str) -> bool:
    """True for bare-metal sizes ("c6g.metal", "m7i.metal-24xl")."""
    return ".metal" in instance_type


def _shop_prices(shop_ec2: Mapping[str, MeteredUnitMap]) -> Table:
    table: Table = {}
    for filename, doc in sorted(shop_ec2.items()):
        code = code_from_filename(filename)
        where = f"ec2.shop/data/ec2/{filename}"
        for rows in doc.regions.values():
            for row in rows.values():
                if any(row.get(k) != v for k, v in _SHOP_ROW.items()):
                    continue
                price = parse_price(row["price"], where)
                if price is not None:
                    store_in(table, code, row["Instance Type"], price, where)
    return table


def _apw_prices(apw_ec2: Processed, names: Mapping[str, str]) -> Table:
    table: Table = {}
    where = "aws-price-watcher/processed/ec2.json"
    for label, locations in apw_ec2.items():
        if not label.startswith(_APW_PREFIX):
            raise SourceFormatError(f"{where}: unexpected label {label!r}")
        instance_type = label[len(_APW_PREFIX) :]
        for location, text in locations.items():
            code = names.get(location)  # None for Local Zones and Wavelength Zones
            price = parse_price(text, where)
            if code is not None and price is not None:
                store_in(table, code, instance_type, price, where)
    return table


def karpenter_prices(csv_text: str) -> dict[str, float]:
    """Karpenter's us-east-1 Linux prices by instance type."""
    where = "karpenter/ondemand-linux-us-east-1.csv"
    reader = csv.DictReader(io.StringIO(csv_text))
    if reader.fieldnames != _KARPENTER_COLUMNS:
        raise SourceFormatError(f"{where}: unexpected columns {reader.fieldnames}")
    prices: dict[str, float] = {}
    for row in reader:
        if (row["region"], row["os"], row["tenancy"]) != (KARPENTER_REGION, "linux", "shared"):
            raise SourceFormatError(f"{where}: unexpected row {row}")
        price = parse_price(row["usd_per_hour"], where)
        if price is not None:
            prices[row["instance_type"]] = price
    return prices


def _apply_karpenter(linux: Ec2Linux, karpenter: Mapping[str, float]) -> None:
    region = linux.prices.setdefault(KARPENTER_REGION, {})
    for instance_type, price in sorted(karpenter.items()):
        current = region.get(instance_type)
        if current == price or (current is not None and is_metal(instance_type)):
            continue
        if current is not None:
            linux.replaced.setdefault(KARPENTER_REGION, {})[instance_type] = current
        region[instance_type] = price
        linux.unmark(KARPENTER_REGION, instance_type)
        linux.mark(KARPENTER, KARPENTER_REGION, instance_type)


def merge_linux(
    shop_ec2: Mapping[str, MeteredUnitMap],
    apw_ec2: Processed,
    karpenter_csv: str,
    names: Mapping[str, str],
) -> Ec2Linux:
    """Linux on-demand prices for every (type, region) pair any source has."""
    linux = Ec2Linux()
    for region, types in _shop_prices(shop_ec2).items():
        for instance_type, price in types.items():
            linux.prices.setdefault(region, {})[instance_type] = price
            linux.mark(SHOP, region, instance_type)
    for region, types in _apw_prices(apw_ec2, names).items():
        for instance_type, price in types.items():
            linux.prices.setdefault(region, {})[instance_type] = price
            linux.unmark(region, instance_type)
    _apply_karpenter(linux, karpenter_prices(karpenter_csv))
    return linux


def windows_prices(text: str) -> tuple[dict[str, float], list[str]]:
    """Windows us-east-1 prices by type, and the types listed at 0 (not offered with Windows).

    The file is cut short mid-line; lines without both fields are skipped.
    """
    prices: dict[str, float] = {}
    not_offered: list[str] = []
    for line in text.splitlines():
        type_match = _WINDOWS_TYPE.match(line)
        price_match = _WINDOWS_PRICE.search(line)
        if type_match is None or price_match is None:
            continue
        price = parse_price(price_match.group(1), "ec2-instances-info/generated_instances_data.txt")
        if price is None:
            not_offered.append(type_match.group(1))
        else:
            prices[type_match.group(1)] = price
    return prices, sorted(not_offered)
