"""The backtest: every record under some paths, de-duplicated, in event-time order, through the
engine from a cold start with in-memory state."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine import DEFAULT_THRESHOLDS, PARSERS_KEYS, CostEvent, Skipped, Thresholds, Verdict
from engine.errors import NormalizeError
from engine.models import COST_INCREASING
from engine.normalize import derived_event_id, record_digest
from engine.records import looks_like_record
from ingest.logfiles import BadInput, discover, read_records
from ingest.memory import MemoryStore
from ingest.processor import EventProcessor
from pricing import Catalogue

Progress = Callable[[str, int, int], None]
# What `_take` remembers per eventID: the record itself when it is cost-relevant (it is kept for
# the replay anyway, and comparing dicts is cheaper than hashing every record), else its
# (eventSource, eventName). Digests are computed only for the rare conflict.
Seen = dict[str, Mapping[str, Any] | tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Conflict:
    """A duplicate eventID with other content: the first record is kept, this one dropped."""

    event_id: str
    first_digest: str
    digest: str
    first_event: str
    event: str


@dataclass
class Collected:
    """Cost-relevant records, ready to replay, and counts of everything else."""

    records: list[Mapping[str, Any]] = field(default_factory=list)
    files: int = 0
    records_read: int = 0
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    not_cost: int = 0
    bad: list[BadInput] = field(default_factory=list)


@dataclass
class BacktestResult:
    """Scored events, skipped records, and counts."""

    events: list[CostEvent]
    skipped: list[Skipped]
    verdicts: dict[str, Verdict]
    collected: Collected
    seconds: float

    def summary(self) -> dict[str, Any]:
        """The counts printed last (`{"kind": "summary", …}`)."""
        severities = Counter(e.anomaly.severity for e in self.events if e.anomaly)
        reasons = Counter("malformed" if s.malformed else "failed call" for s in self.skipped)
        times = [e.event_time for e in self.events]
        starting = [e for e in self.events if e.action in COST_INCREASING]
        return {
            "kind": "summary",
            "files": self.collected.files,
            "recordsRead": self.collected.records_read,
            "duplicatesDropped": self.collected.duplicates,
            "conflictingDuplicates": len(self.collected.conflicts),
            "notCostEvents": self.collected.not_cost,
            "unreadable": len(self.collected.bad),
            "costEvents": len(self.events),
            "startingSpend": len(starting),
            "priced": sum(1 for e in starting if e.estimated_hourly_cost is not None),
            "skipped": len(self.skipped),
            "malformed": reasons["malformed"] + len(self.collected.bad),
            "failedCalls": reasons["failed call"],
            "anomalies": {k: severities.get(k, 0) for k in ("critical", "warning", "info")},
            "firstEvent": min(times).strftime("%Y-%m-%dT%H:%M:%SZ") if times else None,
            "lastEvent": max(times).strftime("%Y-%m-%dT%H:%M:%SZ") if times else None,
            "seconds": round(self.seconds, 3),
        }


def _event_id(raw: Mapping[str, Any]) -> str:
    event_id = raw.get("eventID")
    return event_id if isinstance(event_id, str) and event_id else derived_event_id(raw)


def _take(raw: Any, out: Collected, seen: Seen, source: Path) -> None:
    out.records_read += 1
    if isinstance(raw, BadInput):
        out.bad.append(raw)
        return
    if not looks_like_record(raw):
        out.bad.append(BadInput(str(source), "not a CloudTrail record: no eventName/eventSource"))
        return
    try:
        event_id = _event_id(raw)
    except NormalizeError as exc:
        out.bad.append(BadInput(str(source), exc.reason))
        return
    key = (raw["eventSource"], raw["eventName"])
    mark: Mapping[str, Any] | tuple[str, str] = raw if key in PARSERS_KEYS else key
    first = seen.setdefault(event_id, mark)
    if first is mark:
        if isinstance(mark, tuple):
            out.not_cost += 1
        else:
            out.records.append(mark)
    elif first == mark:
        out.duplicates += 1
    else:
        out.conflicts.append(_conflict(event_id, first, raw))


def _conflict(event_id: str, first: Mapping[str, Any] | tuple[str, str], raw: Any) -> Conflict:
    def digest(record: Mapping[str, Any] | tuple[str, str]) -> str:
        if isinstance(record, tuple):
            return "-"  # a record that is not a cost event: only its name was kept
        try:
            return record_digest(record)
        except NormalizeError:
            return "?"

    def name(record: Mapping[str, Any] | tuple[str, str]) -> str:
        source, event = record if isinstance(record, tuple) else _key(record)
        return f"{source} {event}"

    return Conflict(event_id, digest(first), digest(raw), name(first), name(raw))


def _key(raw: Mapping[str, Any]) -> tuple[str, str]:
    return raw["eventSource"], raw["eventName"]


def collect(paths: Iterable[str | Path], progress: Progress | None = None) -> Collected:
    """Read every log under `paths`; keep cost-relevant records once each, sorted by time."""
    files, missing = discover(paths)
    out = Collected(files=len(files), bad=list(missing))
    seen: Seen = {}
    for number, path in enumerate(files, start=1):
        for raw in read_records(path):
            _take(raw, out, seen, path)
        if progress:
            progress("reading", number, len(files))
    out.records.sort(key=lambda r: str(r.get("eventTime", "")))
    return out


class _EventClock:
    """The backtest's clock: the time of the record being processed."""

    def __init__(self) -> None:
        self.now = datetime(1970, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _replay(
    records: list[Mapping[str, Any]],
    catalogue: Catalogue,
    thresholds: Thresholds,
    progress: Progress | None,
) -> tuple[list[CostEvent], list[Skipped], dict[str, Verdict]]:
    """Every record through the service's processor over in-memory state, in order."""
    clock = _EventClock()
    processor = EventProcessor(MemoryStore(), catalogue, clock, thresholds)
    events: list[CostEvent] = []
    skipped: list[Skipped] = []
    verdicts: dict[str, Verdict] = {}
    total = len(records)
    for number, raw in enumerate(records, start=1):
        if progress and (number % 2000 == 0 or number == total):
            progress("scoring", number, total)
        result, verdict = await processor.process(raw)
        if isinstance(result, Skipped):
            skipped.append(result)
            continue
        clock.now = max(clock.now, result.event_time)
        events.append(result)
        if verdict is not None:
            verdicts[result.event_id] = verdict
    return events, skipped, verdicts


def run_backtest(
    paths: Iterable[str | Path],
    catalogue: Catalogue,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Read, de-duplicate, order, then the service's own processor from a cold start."""
    started = time.perf_counter()
    collected = collect(paths, progress)
    chosen = thresholds or DEFAULT_THRESHOLDS
    events, skipped, verdicts = asyncio.run(_replay(collected.records, catalogue, chosen, progress))
    return BacktestResult(events, skipped, verdicts, collected, time.perf_counter() - started)
