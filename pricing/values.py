"""`value_type`: an immutable value class for mypy, a plain slotted dataclass at run time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value_type(cls: type[T]) -> type[T]:
    """Like `@dataclass(frozen=True, slots=True)` to the type checker, which rejects any
    assignment to a field; at run time a slotted dataclass, built ~5x faster than a frozen one
    (frozen sets each field through object.__setattr__)."""
    return dataclass(slots=True)(cls)
