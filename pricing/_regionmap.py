"""Region codes <-> AWS display names, as a pure lookup object built from `regions.json`."""

from __future__ import annotations

from collections.abc import Mapping


class RegionMap:
    """Both directions of the region mapping; every lookup is one dict access."""

    __slots__ = ("_codes", "_names", "_sorted_codes")

    def __init__(self, codes: Mapping[str, str], names: Mapping[str, str]) -> None:
        self._codes = dict(codes)
        self._names = dict(names)
        self._sorted_codes = tuple(sorted(self._codes))

    def region_code(self, display_name: str) -> str | None:
        """The code for an AWS display name ("EU (Ireland)" or "Europe (Ireland)"), else None."""
        return self._names.get(display_name)

    def display_name(self, code: str) -> str | None:
        """The display name AWS's pricing data uses for a region code, else None."""
        return self._codes.get(code)

    def all_region_codes(self) -> tuple[str, ...]:
        """Every region code the catalogue knows, sorted."""
        return self._sorted_codes

    def is_region(self, code: str) -> bool:
        """True when `code` is a region code the catalogue knows."""
        return code in self._codes
