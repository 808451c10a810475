"""Errors the engine raises. It raises nothing else.

EngineError
 ├── NormalizeError   a record that cannot be read as a CloudTrail event (reason kept)
 └── ScoringError     a scorer input that breaks an invariant (a bug, not bad input)
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error."""


class NormalizeError(EngineError):
    """A CloudTrail record is malformed; `reason` says how, for that record only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScoringError(EngineError):
    """The scorer was called with inputs that break its invariants."""
