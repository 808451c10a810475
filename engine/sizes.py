"""Instance, DB, cache and search classes as (prefix, class letters, size step).

`db.r6g.8xlarge` -> prefix `db.`, family `r6g`, class letters `r`, step 4 (large = 0, each
doubling one step up). Steps tell a size jump (several sizes above anything the account ran for
that service); class letters tell a generation migration (m5 -> m6i -> m7i at the same step is
the same kind of machine, not a novelty).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_NAMED = {"nano": -4, "micro": -3, "small": -2, "medium": -1, "large": 0, "xlarge": 1}
_MULTIPLE = re.compile(r"^(\d+)xlarge$")
_PREFIXES = ("db.", "cache.", "ml.", "dc2.", "ra3.")
_SUFFIXES = (".search", ".elasticsearch")
_CLASS = re.compile(r"^([a-z]+)")


@dataclass(frozen=True, slots=True)
class SizeClass:
    """A parsed size: where it comes from and how big it is."""

    prefix: str
    letters: str
    step: float


def _step(word: str) -> float | None:
    if word in _NAMED:
        return float(_NAMED[word])
    match = _MULTIPLE.match(word)
    if match is None or int(match.group(1)) < 1:
        return None
    return 1.0 + math.log2(int(match.group(1)))


@lru_cache(maxsize=4096)
def parse_size(size: str | None) -> SizeClass | None:
    """The size's class, or None when it is not of the `family.size` shape (metal, serverless)."""
    if not size:
        return None
    text = size.lower()
    for suffix in _SUFFIXES:
        text = text.removesuffix(suffix)
    prefix = next((p for p in _PREFIXES if text.startswith(p) and text.count(".") >= 2), "")
    family, _, word = text[len(prefix) :].rpartition(".")
    step = _step(word)
    letters = _CLASS.match(family)
    if step is None or letters is None:
        return None
    return SizeClass(prefix, letters.group(1), step)


def largest_step(sizes: Iterable[str]) -> tuple[float, str] | None:
    """The largest step among `sizes` and one size that has it; None when none parses."""
    best: tuple[float, str] | None = None
    for size in sizes:
        parsed = parse_size(size)
        if parsed is not None and (best is None or parsed.step > best[0]):
            best = (parsed.step, size)
    return best


def sibling(size: str | None, known: Iterable[str]) -> str | None:
    """A known size of the same class letters and step (another generation), or None."""
    parsed = parse_size(size)
    if parsed is None:
        return None
    for other in known:
        theirs = parse_size(other)
        if (
            other != size
            and theirs is not None
            and (theirs.prefix, theirs.letters, theirs.step)
            == (parsed.prefix, parsed.letters, parsed.step)
        ):
            return other
    return None
