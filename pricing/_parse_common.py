"""Small helpers shared by the generator's parsers: prices, location keys, conflict checks."""

from __future__ import annotations

import math
from collections.abc import MutableMapping

from pricing.errors import SourceFormatError

# region code -> key -> price
Table = dict[str, dict[str, float]]


def parse_price(text: str, where: str) -> float | None:
    """A USD price from its source string ("0.0960000000" -> 0.096); None for a zero price."""
    try:
        value = float(text)
    except ValueError as exc:
        raise SourceFormatError(f"{where}: price {text!r} is not a number") from exc
    if not math.isfinite(value) or value < 0:
        raise SourceFormatError(f"{where}: price {text!r} is not a finite, non-negative amount")
    # AWS lists 0 for rows that are not sold (and free tiers); 0 is never a price we quote.
    return value if value > 0 else None


def location_of(key: str, marker: str) -> str:
    """The display name at the front of a processed-file location key.

    `"US West (Oregon) (Instance Type: db.m5.large, ...)"` with marker `" (Instance Type: "`
    gives `"US West (Oregon)"`; a key without the marker is returned unchanged.
    """
    cut = key.find(marker)
    return key if cut < 0 else key[:cut]


def attribute_of(key: str, name: str) -> str | None:
    """The value of `name: value` inside a location key's parentheses, else None."""
    start = key.find(f"({name}: ")
    if start < 0:
        start = key.find(f", {name}: ")
    if start < 0:
        return None
    start = key.index(": ", start) + 2
    end = min((i for i in (key.find(",", start), key.find(")", start)) if i >= 0), default=-1)
    return key[start:end] if end >= 0 else key[start:]


def store(target: MutableMapping[str, float], key: str, price: float, where: str) -> None:
    """Put `price` at `key`; two different prices for one key is a source error."""
    existing = target.get(key)
    if existing is not None and existing != price:
        raise SourceFormatError(f"{where}: two prices for {key!r}: {existing} and {price}")
    target[key] = price


def store_in(table: Table, region: str, key: str, price: float, where: str) -> None:
    """`store` into the per-region map of a region -> key -> price table."""
    store(table.setdefault(region, {}), key, price, where)
