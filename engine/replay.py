"""The engine alone over a stream of records with in-memory state (unit tests, engine speed bench).

The backtest and the service both run `ingest.processor` (the durable steps over ports); this
shares their decisions (`engine.process`, `engine.scoring`) without their I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.baselines import Baseline, BaselineKey, apply, key_of, mark_expected
from engine.context import Inventory
from engine.detectors import DETECTORS, State
from engine.models import CostEvent, Skipped
from engine.normalize import normalize_record
from engine.process import keys_for, learning
from engine.profiles import Profile, ProfileKey, apply_profile
from engine.scoring import Verdict, evaluate
from engine.thresholds import DEFAULT_THRESHOLDS, Thresholds
from pricing import Catalogue


@dataclass
class Replay:
    """Normalise, price, score and learn, one record at a time, in event-time order."""

    catalogue: Catalogue
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    baselines: dict[BaselineKey, Baseline] = field(default_factory=dict)
    profiles: dict[ProfileKey, Profile] = field(default_factory=dict)
    inventory: Inventory = field(default_factory=Inventory)
    enabled: frozenset[str] = frozenset(DETECTORS)

    def state(self, event: CostEvent) -> State:
        """The state the event is scored against."""
        keys = keys_for(event)
        return State(
            baseline=self.baselines.get(keys.baseline),
            principal=self.profiles.get(keys.principal) if keys.principal else None,
            account=self.profiles.get(keys.account),
            enabled=self.enabled,
        )

    def learn(self, event: CostEvent, verdict: Verdict) -> None:
        """Apply what the event teaches (after its verdict)."""
        taught = learning(event, verdict)
        if taught.baseline is not None:
            key = taught.baseline.key
            self.baselines[key] = apply(self.baselines.get(key), taught.baseline)
        for delta in taught.profiles:
            self.profiles[delta.key] = apply_profile(self.profiles.get(delta.key), delta)

    def process(self, raw: Any) -> tuple[CostEvent | Skipped, Verdict | None]:
        """One record: the scored event (anomaly filled) and the verdict, or why it was skipped."""
        result = normalize_record(raw, self.catalogue, self.inventory)
        if isinstance(result, Skipped):
            return result, None
        verdict = evaluate(result, self.state(result), result.event_time, self.thresholds)
        self.learn(result, verdict)
        self.inventory.remember(result)
        if verdict.anomaly is not None:
            result = result.model_copy(update={"anomaly": verdict.anomaly})
        return result, verdict

    def run(self, records: Iterable[Any]) -> Iterator[tuple[CostEvent | Skipped, Verdict | None]]:
        """Process each record in turn."""
        for raw in records:
            yield self.process(raw)

    def mark_expected(self, event: CostEvent) -> None:
        """Feedback from a user: the event's size and actor are expected from now on."""
        key = key_of(event)
        baseline = self.baselines.get(key) or Baseline(key=key)
        self.baselines[key] = mark_expected(baseline, event.size, event.actor.principal_arn)
