"""The whole engine over a stream of records with in-memory state: what the backtest runs.

The service runs the same steps, with baselines and the inventory in MongoDB instead of dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.baselines import Baseline, BaselineKey, apply, delta_for, key_of, mark_expected
from engine.context import Inventory
from engine.models import CostEvent, Skipped
from engine.normalize import normalize_record
from engine.scoring import Verdict, score_event
from engine.thresholds import DEFAULT_THRESHOLDS, Thresholds
from pricing import Catalogue


@dataclass
class Replay:
    """Normalise, price, score and learn, one record at a time, in event-time order."""

    catalogue: Catalogue
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    baselines: dict[BaselineKey, Baseline] = field(default_factory=dict)
    inventory: Inventory = field(default_factory=Inventory)

    def process(self, raw: Any) -> tuple[CostEvent | Skipped, Verdict | None]:
        """One record: the scored event (anomaly filled) and the verdict, or why it was skipped."""
        result = normalize_record(raw, self.catalogue, self.inventory)
        if isinstance(result, Skipped):
            return result, None
        key = key_of(result)
        baseline = self.baselines.get(key)
        verdict = score_event(result, baseline, result.event_time, self.thresholds)
        delta = delta_for(result)
        if delta is not None:
            self.baselines[key] = apply(baseline, delta)
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
