"""The backtest: CloudTrail logs (local or S3) streamed in delivery order, cost-relevant records
put in eventTime order within a bounded window and de-duplicated, then the service's own processor
from a cold start with in-memory state. Memory follows the window, not the archive."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import DEFAULT_THRESHOLDS, PARSERS_KEYS, CostEvent, Skipped, Thresholds, Verdict
from engine.errors import NormalizeError
from engine.normalize import derived_event_id, record_digest
from engine.records import looks_like_record
from ingest._replay import FEED_BATCH, Tally, _Replay
from ingest._window import Mark, Window
from ingest.layout import Filters, LogRef
from ingest.logfiles import BadInput, Scan
from ingest.sources import Sources
from pricing import Catalogue

if TYPE_CHECKING:
    from ingest.s3logs import S3Reader

DEFAULT_WINDOW = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Stats:
    """Where the reading is: for a progress bar."""

    files: int
    bytes: int
    records: int
    events: int
    fraction: float | None


Progress = Callable[[Stats], None]


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
    """Counts of what was read (the cost-relevant records themselves stream through)."""

    files: int = 0
    bytes: int = 0
    records_read: int = 0
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    not_cost: int = 0
    bad: list[BadInput] = field(default_factory=list)
    first_time: str | None = None
    last_time: str | None = None
    late: int = 0
    held_peak: int = 0
    events_remembered: int = 0  # per-event state left at the end (follows the window)

    def saw_time(self, value: object) -> None:
        """Widen the time range of the records read (eventTime, to the second, UTC)."""
        if not isinstance(value, str) or len(value) < 19 or value[4] != "-":
            return
        when = f"{value[:10]}T{value[11:19]}Z"
        if self.first_time is None or when < self.first_time:
            self.first_time = when
        if self.last_time is None or when > self.last_time:
            self.last_time = when

    def add(self, ref: LogRef, scan: Scan) -> None:
        """Count one file's scan."""
        self.files += 1
        self.bytes += scan.size
        self.records_read += scan.read
        if scan.bad:
            self.bad.extend(scan.bad)
        if scan.times:  # the file's range, to the second already (`scan_bytes`)
            first, last = scan.times[0], scan.times[-1]
            if self.first_time is None or first < self.first_time:
                self.first_time = first
            if self.last_time is None or last > self.last_time:
                self.last_time = last


def _stamp(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


@dataclass
class BacktestResult:
    """Counts, and (when kept) the scored events, skipped records and verdicts."""

    events: list[CostEvent]
    skipped: list[Skipped]
    verdicts: dict[str, Verdict]
    collected: Collected
    seconds: float
    tally: Tally = field(default_factory=Tally)

    def summary(self) -> dict[str, Any]:
        """The counts printed last (`{"kind": "summary", …}`)."""
        tally = self.tally
        return {
            "kind": "summary",
            "files": self.collected.files,
            "recordsRead": self.collected.records_read,
            "duplicatesDropped": self.collected.duplicates,
            "conflictingDuplicates": len(self.collected.conflicts),
            "notCostEvents": self.collected.not_cost,
            "unreadable": len(self.collected.bad),
            "lateRecords": self.collected.late,
            "costEvents": tally.cost_events,
            "startingSpend": tally.starting,
            "priced": tally.priced,
            "skipped": tally.skipped,
            "malformed": tally.reasons["malformed"],
            "failedCalls": tally.reasons["failed call"],
            "anomalies": {k: tally.severities.get(k, 0) for k in ("critical", "warning", "info")},
            "firstEvent": _stamp(tally.first_event),
            "lastEvent": _stamp(tally.last_event),
            "firstRecord": self.collected.first_time,
            "lastRecord": self.collected.last_time,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class Options:
    """How to run: the late-record window, processes, filters, and what to keep or stream."""

    window: timedelta = DEFAULT_WINDOW
    workers: int = 1
    filters: Filters = Filters()
    keep: bool = True
    on_event: Callable[[CostEvent], None] | None = None
    s3: S3Reader | None = None


def _event_id(raw: Mapping[str, Any]) -> str:
    event_id = raw.get("eventID")
    return event_id if isinstance(event_id, str) and event_id else derived_event_id(raw)


def _conflict(event_id: str, first: Mark, raw: Mark) -> Conflict:
    def digest(record: Mark) -> str:
        if isinstance(record, tuple):
            return "-"  # a record that is not a cost event: only its name was kept
        try:
            return record_digest(record)
        except NormalizeError:
            return "?"

    def name(record: Mark) -> str:
        source, event = record if isinstance(record, tuple) else _names(record)
        return f"{source} {event}"

    return Conflict(event_id, digest(first), digest(raw), name(first), name(raw))


def _names(record: Mapping[str, Any]) -> tuple[str, str]:
    return record["eventSource"], record["eventName"]


def _take_others(
    ids: list[str], marks: list[tuple[str, str]], ref: LogRef, out: Collected, window: Window
) -> None:
    """Records that are not cost events, a run of them in file order: each counted once, or as
    a duplicate or conflict."""
    seen = window.seen
    new: list[str] = []
    for event_id, mark in zip(ids, marks, strict=True):
        first = seen.setdefault(event_id, mark)
        if first is mark:
            new.append(event_id)
        elif first == mark:
            out.duplicates += 1
        else:
            out.conflicts.append(_conflict(event_id, first, mark))
    out.not_cost += len(new)
    window.note(new, ref.delivered)


def _kept_ids(scan: Scan) -> set[str]:
    """The eventIDs `_take` would give the records the scan kept (where it gives one)."""
    found: set[str] = set()
    for _, raw in scan.records:
        if looks_like_record(raw):
            try:
                found.add(_event_id(raw))
            except NormalizeError:
                continue
    return found


def _others_at_once(scan: Scan, ref: LogRef, out: Collected, window: Window) -> bool:
    """The usual file: every non-cost record's eventID new, to the window and to this file, and
    none shared with a record the scan kept. Then the order they are taken in changes nothing,
    and they are taken in C (a dict update): no Python code runs per record. False (nothing
    taken) otherwise: the caller takes the file record by record."""
    ids, seen = scan.ids, window.seen
    if not seen.keys().isdisjoint(ids):
        return False
    if scan.records and not _kept_ids(scan).isdisjoint(ids):
        return False
    size = len(seen)
    seen.update(zip(ids, scan.marks, strict=True))
    if len(seen) - size != len(ids):  # an eventID twice in this file: undo, take it in order
        for event_id in ids:
            seen.pop(event_id, None)
        return False
    out.not_cost += len(ids)
    window.note(ids, ref.delivered)
    return True


def _take_scan(scan: Scan, ref: LogRef, out: Collected, window: Window) -> None:
    """One file's records: the non-cost ones at once when that is the same as in file order
    (`_others_at_once`), else in file order, runs of non-cost records in one go."""
    if _others_at_once(scan, ref, out, window):
        for index, raw in scan.records:
            _take(raw, index, ref, out, window)
        return
    ids, marks = scan.ids, scan.marks
    start = 0
    for number, (index, raw) in enumerate(scan.records):
        end = index - number  # the non-cost records before this one in the file
        if end > start:
            _take_others(ids[start:end], marks[start:end], ref, out, window)
            start = end
        _take(raw, index, ref, out, window)
    if start < len(ids):
        _take_others(ids[start:], marks[start:], ref, out, window)


def _take(raw: Any, index: int, ref: LogRef, out: Collected, window: Window) -> None:
    """A record the scan kept: report it as bad, drop it as a duplicate, or hold it."""
    if not looks_like_record(raw):
        out.bad.append(BadInput(ref.name, "not a CloudTrail record: no eventName/eventSource"))
        return
    out.saw_time(raw.get("eventTime"))
    try:
        event_id = _event_id(raw)
    except NormalizeError as exc:
        out.bad.append(BadInput(ref.name, exc.reason))
        return
    record: Mapping[str, Any] = raw
    first = window.first(event_id, record)
    if first is record:
        if _names(record) in PARSERS_KEYS:
            window.hold(event_id, str(record.get("eventTime", "")), ref.order, index, record)
        else:
            out.not_cost += 1  # an odd one the scan could not name (no eventID of its own)
            window.note([event_id], ref.delivered)
    elif first == record:
        out.duplicates += 1
    else:
        out.conflicts.append(_conflict(event_id, first, record))


async def _run(
    paths: list[str], replay: _Replay, options: Options, progress: Progress | None
) -> Collected:
    out = Collected()
    window = Window(options.window)
    async with Sources(paths, options.filters, options.workers, options.s3) as sources:
        async for ref, scan in sources.scans():
            out.add(ref, scan)
            _take_scan(scan, ref, out, window)
            for record in window.advance(ref.delivered):
                replay.queue(record)
            if window.forgotten:
                replay.queue_forget(window.forgotten)
                window.forgotten = []
            if replay.queued_records >= FEED_BATCH:
                await replay.flush()
            if progress:
                progress(
                    Stats(
                        out.files,
                        out.bytes,
                        out.records_read,
                        replay.tally.cost_events,
                        ref.fraction,
                    )
                )
        for record in window.drain():
            replay.queue(record)
        await replay.flush()
        out.bad.extend(sources.missing)
    out.late, out.held_peak = window.late_records, window.peak
    out.events_remembered = len(replay.store.events)
    return out


YOUNG_OBJECTS = 10_000  # the collector's first threshold during a run (Python's default: 700)


@contextmanager
def _quiet_collector() -> Iterator[None]:
    """The objects alive when the run starts (modules, the price catalogue) are never garbage,
    yet each full collection would walk them: about 0.1 s a time with the catalogue loaded. So
    they are frozen for the run (`gc.freeze`; `gc.unfreeze` after it, which would also thaw
    what a caller froze: none does), and the young generation is collected after 10,000 new
    objects instead of 700: the run's objects die young or live for the run, and collecting
    them costs more than it finds."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def backtest(
    paths: Iterable[str | Path],
    catalogue: Catalogue,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
    options: Options | None = None,
) -> BacktestResult:
    """Read, de-duplicate, order within the window, then the service's own processor."""
    started = time.perf_counter()
    chosen = options or Options()
    replay = _Replay(catalogue, thresholds or DEFAULT_THRESHOLDS, chosen)
    with _quiet_collector():
        collected = await _run([str(p) for p in paths], replay, chosen, progress)
    seconds = time.perf_counter() - started
    return BacktestResult(
        replay.events, replay.skipped, replay.verdicts, collected, seconds, replay.tally
    )


def run_backtest(
    paths: Iterable[str | Path],
    catalogue: Catalogue,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
    options: Options | None = None,
) -> BacktestResult:
    """`backtest` on a fresh event loop."""
    return asyncio.run(backtest(paths, catalogue, thresholds, progress, options))
