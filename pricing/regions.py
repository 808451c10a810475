"""AWS region codes <-> display names ("eu-west-1" <-> "EU (Ireland)"), from the catalogue data.

Both the pricing pages' "EU (...)" spelling and the newer "Europe (...)" map to the code; Local
Zones and Wavelength Zones are not regions and have no entry.
"""

from __future__ import annotations

from pricing._loader import load_catalogue


def region_code(display_name: str) -> str | None:
    """The region code for an AWS display name, or None for an unknown name."""
    return load_catalogue().regions.region_code(display_name)


def display_name(code: str) -> str | None:
    """The display name AWS's pricing data uses for a region code, or None."""
    return load_catalogue().regions.display_name(code)


def all_region_codes() -> tuple[str, ...]:
    """Every region code the catalogue knows, sorted."""
    return load_catalogue().regions.all_region_codes()
