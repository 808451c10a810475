"""The backtest's replay: records, in order, through the service's processor over in-memory
state (`ingest.memory`), with the running counts the summary prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from engine import CostEvent, Skipped, Thresholds, Verdict
from engine.models import COST_INCREASING
from ingest.memory import MemoryStore
from ingest.processor import EventProcessor
from pricing import Catalogue

if TYPE_CHECKING:
    from ingest.backtest import Options

EXPIRY_EVERY = timedelta(days=1)


@dataclass
class Tally:
    """Running counts of the processed records (what the summary prints)."""

    cost_events: int = 0
    starting: int = 0
    priced: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)
    first_event: datetime | None = None
    last_event: datetime | None = None

    def event(self, event: CostEvent) -> None:
        """Count a scored cost event."""
        self.cost_events += 1
        # A $0 change (a Lambda configuration update) starts no spending.
        if event.action in COST_INCREASING and event.estimated_hourly_cost != 0:
            self.starting += 1
            self.priced += event.estimated_hourly_cost is not None
        if event.anomaly:
            self.severities[event.anomaly.severity] += 1
        when = event.event_time
        self.first_event = when if self.first_event is None else min(self.first_event, when)
        self.last_event = when if self.last_event is None else max(self.last_event, when)

    def skip(self, skipped: Skipped) -> None:
        """Count a skipped record."""
        self.skipped += 1
        self.reasons["malformed" if skipped.malformed else "failed call"] += 1


class _EventClock:
    """The backtest's clock: the time of the record being processed."""

    def __init__(self) -> None:
        self.now = datetime(1970, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class _Forget(NamedTuple):
    """Queued beside the records: eventIDs whose per-event state can go."""

    event_ids: list[str]


FEED_BATCH = 64  # released records queued before the processor runs on them


class _Replay:
    """Records, in order, through the service's processor over in-memory state."""

    def __init__(self, catalogue: Catalogue, thresholds: Thresholds, options: Options) -> None:
        self.clock = _EventClock()
        self.store = MemoryStore()
        self.processor = EventProcessor(self.store, catalogue, self.clock, thresholds)
        self.options = options
        self.tally = Tally()
        self.events: list[CostEvent] = []
        self.skipped: list[Skipped] = []
        self.verdicts: dict[str, Verdict] = {}
        self._next_expiry = self.clock.now
        self._queued: list[Mapping[str, Any] | _Forget] = []
        self.queued_records = 0

    def queue(self, record: Mapping[str, Any]) -> None:
        """Feed this record at the next `flush`, after what is queued already."""
        self._queued.append(record)
        self.queued_records += 1

    def queue_forget(self, event_ids: list[str]) -> None:
        """`forget` these at the next `flush`, in their place among the queued records."""
        self._queued.append(_Forget(event_ids))

    async def flush(self) -> None:
        """What was queued, in order: the processor gets the same calls in the same order as
        if each had been made at once, only a batch at a time (its code and data stay in the
        CPU's caches, instead of being evicted by the reading between two records)."""
        queued, self._queued, self.queued_records = self._queued, [], 0
        for item in queued:
            if isinstance(item, _Forget):
                self.forget(item.event_ids)
            else:
                await self.feed(item)

    def forget(self, event_ids: list[str]) -> None:
        """Per-event state past the window; once a day of event time, expired ended resources."""
        self.store.forget(event_ids)
        if self.clock.now >= self._next_expiry:
            self.store.resources.expire(self.clock.now)
            self._next_expiry = self.clock.now + EXPIRY_EVERY

    async def feed(self, raw: Mapping[str, Any]) -> None:
        """Process one record."""
        result, verdict = await self.processor.process(raw)
        keep = self.options.keep
        if isinstance(result, Skipped):
            self.tally.skip(result)
            if keep:
                self.skipped.append(result)
            return
        self.clock.now = max(self.clock.now, result.event_time)
        self.tally.event(result)
        if self.options.on_event is not None:
            self.options.on_event(result)
        if keep:
            self.events.append(result)
            if verdict is not None:
                self.verdicts[result.event_id] = verdict
