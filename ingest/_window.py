"""Event-time order and duplicate eventIDs over a bounded window, not the whole archive.

CloudTrail delivers a file within minutes of its events, and the file's name carries the delivery
time. Files are read in delivery order; a record is released (in eventTime order) once the
delivery time of the file being read is more than `late` past it. So the order is exactly a full
sort's whenever no record arrives more than `late` after the records released before it; a record
that does is processed at once and counted in `late_records`.

Duplicate eventIDs are remembered while their record waits and for another `late` after its
release: a duplicate arriving later than that is itself a late record.
"""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

# (eventTime, file order key, index in file, sequence, record): ties fall back to the order a
# full stable sort over the path-sorted files gives.
Mark = Mapping[str, Any] | tuple[str, str]
_Entry = tuple[str, tuple[Any, ...], int, int, str, Mapping[str, Any]]


def shifts(stamp: str, *deltas: timedelta) -> list[str]:
    """Each `delta` away from `stamp` (an eventTime), as "YYYY-MM-DDTHH:MM:SS" without the zone:
    an eventTime in that second ("…SSZ", "…SS.123Z") compares greater, earlier ones smaller.
    (`_Shifted` calls it once an hour of delivery times, not once a file.)"""
    when = datetime.fromisoformat(stamp).astimezone(UTC).replace(tzinfo=None)
    return [(when + delta).isoformat(timespec="seconds") for delta in deltas]


_HOUR = timedelta(hours=1)
# A UTC stamp to the second: its hour, then ":MM:SS" (what `delivered_at` makes of a file name).
_TO_THE_SECOND = re.compile(r"(\d{4}-\d\d-\d\dT\d\d):[0-5]\d:[0-5]\dZ", re.ASCII)
_MINUTES_SECONDS = frozenset(
    f":{minute:02d}:{second:02d}" for minute in range(60) for second in range(60)
)


class _Shifted:
    """`shifts(stamp, *deltas)` for the delivery times of the files, one after the other. When
    every delta is whole hours, a stamp "<hour>:MM:SS" + "Z" shifts to the shifted hour +
    ":MM:SS": the hour is shifted once (files come in delivery order, hours at a time), each
    file only joins strings. Other stamps and deltas are shifted the general way."""

    def __init__(self, *deltas: timedelta) -> None:
        self._deltas = deltas
        self._hourly = all(delta % _HOUR == timedelta(0) for delta in deltas)
        self._hour = ""
        self._shifted: list[str] = []

    def __call__(self, stamp: str) -> list[str]:
        rest = stamp[13:19]
        if stamp[:13] == self._hour and stamp[19:] == "Z" and rest in _MINUTES_SECONDS:
            return [at + rest for at in self._shifted]
        match = _TO_THE_SECOND.fullmatch(stamp) if self._hourly else None
        if match is None:
            return shifts(stamp, *self._deltas)
        self._shifted = [at[:13] for at in shifts(f"{match[1]}:00:00Z", *self._deltas)]
        self._hour = match[1]
        return [at + rest for at in self._shifted]


class Window:
    """Records held until their time is safely past, and the eventIDs recently seen."""

    def __init__(self, late: timedelta) -> None:
        self.late = late
        self._bounds = _Shifted(-late, -2 * late)  # the watermark and the forgetting time
        self.late_records = 0
        self.peak = 0
        self._heap: list[_Entry] = []
        self._seen: dict[str, Mark] = {}
        self._released: deque[tuple[str, str]] = deque()
        self._others: deque[tuple[str, list[str]]] = deque()  # (delivered, a file's new ids)
        self._last: tuple[str, tuple[Any, ...], int] | None = None
        self._sequence = 0
        self._delivered: str | None = None
        self.forgotten: list[str] = []  # released cost events no duplicate can reach any more

    def first(self, event_id: str, mark: Mark) -> Mark:
        """What was first seen with this eventID (`mark` itself when it is new): the record, or
        for a record that is not a cost event its (eventSource, eventName)."""
        return self._seen.setdefault(event_id, mark)

    @property
    def seen(self) -> dict[str, Mark]:
        """eventID → what was first seen with it (for the caller's tight loop; see `first`)."""
        return self._seen

    def note(self, event_ids: list[str], delivered: str | None) -> None:
        """Remember non-cost records' eventIDs until their file is `late` × 2 in the past (the
        list is kept as it is, not copied)."""
        if delivered is not None and event_ids:
            self._others.append((delivered, event_ids))

    def hold(
        self,
        event_id: str,
        when: str,
        order: tuple[Any, ...],
        index: int,
        record: Mapping[str, Any],
    ) -> None:
        """Keep a new record until its time is past."""
        self._sequence += 1
        heapq.heappush(self._heap, (when, order, index, self._sequence, event_id, record))
        self.peak = max(self.peak, len(self._heap))

    def advance(self, delivered: str | None) -> Iterator[Mapping[str, Any]]:
        """Release, in order, the records older than `delivered` minus the window."""
        if delivered is None or delivered == self._delivered:
            return
        self._delivered = delivered
        watermark, forget = self._bounds(delivered)
        heap = self._heap
        while heap and heap[0][0] < watermark:
            yield self._release(heapq.heappop(heap))
        released = self._released
        while released and released[0][0] < forget:
            event_id = released.popleft()[1]
            self._seen.pop(event_id, None)
            self.forgotten.append(event_id)
        others, seen = self._others, self._seen
        while others and others[0][0] < forget:
            # Each id of the batch was new when noted: forgotten in C, the map run to its end.
            deque(map(seen.pop, others.popleft()[1], repeat(None)), maxlen=0)

    def drain(self) -> Iterator[Mapping[str, Any]]:
        """Release everything still held, in order (the end of the input)."""
        while self._heap:
            yield self._release(heapq.heappop(self._heap))

    def _release(self, entry: _Entry) -> Mapping[str, Any]:
        when, order, index, _, event_id, record = entry
        key = (when, order, index)
        if self._last is not None and key < self._last:
            self.late_records += 1
        else:
            self._last = key
        self._released.append((when, event_id))
        return record

    @property
    def remembered(self) -> int:
        """How many eventIDs are remembered now (for the bounded-memory test)."""
        return len(self._seen)
