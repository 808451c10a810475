"""The engine: CloudTrail record -> priced CostEvent -> score against a baseline. Pure.

No I/O, no clock reads, no Slack/Mongo/AWS: time and prices are passed in.
"""

from __future__ import annotations

from engine.baselines import (
    Baseline,
    BaselineDelta,
    BaselineKey,
    Stats,
    apply,
    delta_for,
    key_of,
    mark_expected,
)
from engine.context import Inventory, KnownResource, ResourceContext
from engine.errors import EngineError, NormalizeError, ScoringError
from engine.models import Actor, Anomaly, CostEvent, Skipped
from engine.normalize import normalize_record
from engine.parsers import PARSERS, SUPPORTED_EVENTS
from engine.records import iter_records
from engine.replay import Replay
from engine.scoring import Verdict, score_event
from engine.thresholds import DEFAULT_THRESHOLDS, Thresholds

PARSERS_KEYS: frozenset[tuple[str, str]] = frozenset(PARSERS)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "PARSERS_KEYS",
    "SUPPORTED_EVENTS",
    "Actor",
    "Anomaly",
    "Baseline",
    "BaselineDelta",
    "BaselineKey",
    "CostEvent",
    "EngineError",
    "Inventory",
    "KnownResource",
    "NormalizeError",
    "Replay",
    "ResourceContext",
    "ScoringError",
    "Skipped",
    "Stats",
    "Thresholds",
    "Verdict",
    "apply",
    "delta_for",
    "iter_records",
    "key_of",
    "mark_expected",
    "normalize_record",
    "score_event",
]
