"""Region codes <-> display names, derived from the ec2.shop per-region files.

Each `ec2.shop/data/ec2/<code>-ondemand.json` (and `<code>-previousgen-ondemand.json`) holds one
region's display name, which gives the mapping. Local Zones ("US East (Boston)") and Wavelength
Zones ("US East (Verizon) - Boston") are not regions: no ec2.shop file names them, so they get no
code here and every parser skips their rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pricing._sources import MeteredUnitMap
from pricing.errors import SourceFormatError

# Regions that opened after ec2.shop's April 2025 snapshot. processed/ec2.json (and the other
# aws-price-watcher files) know them only by display name, so their codes are entered by hand,
# from AWS's region list: Taipei opened in June 2025, New Zealand in September 2025.
NEW_REGIONS: dict[str, str] = {
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
}

_SUFFIXES = ("-previousgen-ondemand.json", "-ondemand.json")


def code_from_filename(filename: str) -> str:
    """The region code in an ec2.shop file name ("eu-west-1-ondemand.json" -> "eu-west-1")."""
    for suffix in _SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    raise SourceFormatError(f"ec2.shop/data/ec2/{filename}: unexpected file name")


def _primary_names(shop_ec2: Mapping[str, MeteredUnitMap]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for filename, doc in sorted(shop_ec2.items()):
        names = list(doc.regions)
        if len(names) != 1:
            raise SourceFormatError(
                f"ec2.shop/data/ec2/{filename}: expected one region, got {names}"
            )
        code = code_from_filename(filename)
        if codes.setdefault(code, names[0]) != names[0]:
            raise SourceFormatError(f"ec2.shop/data/ec2/{filename}: {code} has two display names")
    return codes


def build_regions(
    shop_ec2: Mapping[str, MeteredUnitMap], aliases: Iterable[Mapping[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """The (code -> display name, display name -> code) maps.

    `aliases` are code -> name maps from other sources. Their names for known codes are added as
    extra spellings, so both "EU (Ireland)" (the pricing pages) and "Europe (Ireland)" (newer AWS
    naming) map to eu-west-1. Codes that are not regions (Local Zones) are ignored.
    """
    codes = _primary_names(shop_ec2)
    for code, name in NEW_REGIONS.items():
        codes.setdefault(code, name)
    names = {name: code for code, name in codes.items()}
    for alias_map in aliases:
        for code, name in alias_map.items():
            if code not in codes:
                continue
            if names.setdefault(name, code) != code:
                raise SourceFormatError(f"region name {name!r} maps to two codes")
    return codes, names
