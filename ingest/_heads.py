"""The prefilter's first pass over a CloudTrail log file in S3 form: msgspec reads each record's
head (eventSource, eventName, eventID, eventTime) and nothing else; the cost events are parsed in
full (orjson), the other records kept by eventID. `ingest.logfiles.scan_bytes` drives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, itemgetter, not_
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from engine import PARSERS_KEYS

if TYPE_CHECKING:
    from ingest.logfiles import BadInput


class _File(msgspec.Struct):
    """A CloudTrail log file as S3 delivers it; each record kept as its raw bytes."""

    Records: list[msgspec.Raw]


class _Head(msgspec.Struct, gc=False):
    """The fields the prefilter reads; msgspec skips the rest without building it."""

    eventName: Any = None  # noqa: N815 (CloudTrail's field names)
    eventSource: Any = None  # noqa: N815
    eventTime: Any = None  # noqa: N815
    eventID: Any = None  # noqa: N815


class _Heads(msgspec.Struct):
    """A log file read as heads only: one pass in C, nothing built but four fields a record."""

    Records: list[_Head]


class _Usual(msgspec.Struct, gc=False):
    """A head of the usual types: every field present and a string (else `_Head`'s way)."""

    eventName: str  # noqa: N815
    eventSource: str  # noqa: N815
    eventTime: str  # noqa: N815
    eventID: str  # noqa: N815


class _UsualHeads(msgspec.Struct):
    """A log file whose every record has a usual head."""

    Records: list[_Usual]


_FILE = msgspec.json.Decoder(_File)
_HEADS = msgspec.json.Decoder(_Heads)
_USUAL = msgspec.json.Decoder(_UsualHeads)
# Per-record work on usual files runs in C (map over attrgetter and set lookups): on real trails,
# where nearly every record is a Describe/Get/AssumeRole, no Python code runs per record.
_MARK = attrgetter("eventSource", "eventName")
_ID = attrgetter("eventID")
_TIME = attrgetter("eventTime")
_IS_COST = PARSERS_KEYS.__contains__
_AT_TEN = itemgetter(slice(10, 11))
_SECOND_AT = 19  # "YYYY-MM-DDTHH:MM:SS": an eventTime at least this long is well-formed


def _well_formed(value: str) -> bool:
    return len(value) >= _SECOND_AT and value[4] == "-"


def _second(value: str) -> str:
    """An eventTime to the second, in UTC's "YYYY-MM-DDTHH:MM:SSZ" (what the report shows)."""
    return f"{value[:10]}T{value[11:19]}Z"


def _time_key(value: str) -> tuple[str, str]:
    return value[:10], value[11:19]


def time_range(times: list[str]) -> list[str]:
    """The earliest and latest well-formed eventTime, to the second ([] when there is none).

    The plain string order gives it when the extremes are well-formed and every time has the same
    separator at index 10 (then the string order and the order to the second agree): three passes
    in C. Anything else is sorted out record by record.
    """
    if not times:
        return []
    low, high = min(times), max(times)
    if _well_formed(low) and _well_formed(high) and len(set(map(_AT_TEN, times))) == 1:
        return [_second(low), _second(high)]
    valid = [t for t in times if _well_formed(t)]
    if not valid:
        return []
    return [_second(min(valid, key=_time_key)), _second(max(valid, key=_time_key))]


@dataclass(slots=True)
class Scan:
    """One file read.

    `records`: with their index in the file, the records the backtest must look at (the cost
    events, and records the full path must name: no eventID of their own, not a record). The
    others, valid records that are not cost events, only by `ids` (eventID) and `marks`
    ((eventSource, eventName)), in file order: they are at the indices `records` leaves out.
    `times` gathers their eventTimes; `scan_bytes` leaves only the range (`time_range`).
    """

    records: list[tuple[int, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    marks: list[tuple[str, str]] = field(default_factory=list)
    read: int = 0
    times: list[str] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)
    size: int = 0  # the file's bytes as stored (gzipped): what the progress bar counts
    texts: list[bytes] | None = field(default=None, compare=False)  # `records` as JSON text

    def other(self, event_id: str, mark: tuple[str, str], event_time: object) -> None:
        """Keep a record that is not a cost event by its id; remember its time for the range."""
        self.ids.append(event_id)
        self.marks.append(mark)
        if isinstance(event_time, str):
            self.times.append(event_time)

    def __getstate__(self) -> tuple[Any, ...]:
        """What a worker sends back, compact: the ids as one string, each mark once (marks are
        shared, `_Marks`, and pickle refers back to a tuple it has sent)."""
        ids: str | list[str] = "\n".join(self.ids)
        if ids.count("\n") != len(self.ids) - 1:  # no id, or an id holding a newline
            ids = self.ids
        records: Any = self.records
        if self.texts is not None:  # the JSON each was parsed from: orjson reads it back faster
            records = [index for index, _ in self.records], self.texts  # than pickle builds it
        return records, ids, self.marks, self.read, self.times, self.bad, self.size

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        records, ids, self.marks, self.read, self.times, self.bad, self.size = state
        self.texts = None
        if isinstance(records, tuple):
            indices, texts = records
            records = list(zip(indices, map(orjson.loads, texts), strict=True))
        self.records = records
        self.ids = ids.split("\n") if isinstance(ids, str) else ids


class _Marks(dict[tuple[str, str], tuple[str, str]]):
    """Each distinct (eventSource, eventName) once: a record's mark is looked up (in C) and the
    fresh tuple dropped at once. So the window holds shared tuples, a worker's pickle sends each
    once, and the garbage collector never sees a tuple per record."""

    def __missing__(self, mark: tuple[str, str]) -> tuple[str, str]:
        if len(self) >= _MARKS_MAX:
            self.clear()
        self[mark] = mark
        return mark


_MARKS_MAX = 4096  # distinct marks kept: the AWS API has fewer (event) names
_SHARED = _Marks()
_share = _SHARED.__getitem__


def _other(source: object, name: object, event_id: object) -> tuple[str, str] | None:
    """The record's mark when it is a valid record that is not a cost event (with an eventID of
    its own), else None."""
    if not isinstance(source, str) or not isinstance(name, str) or (source, name) in PARSERS_KEYS:
        return None
    if not isinstance(event_id, str) or not event_id:
        return None  # its id is derived from the whole record: the full path does that
    return _share((source, name))


def _cost_records(data: bytes, wanted: list[int], out: Scan) -> bool:
    """The records at these indices parsed in full (orjson) into `out`; False if orjson rejects
    one (the file is then read the full way)."""
    raws = _FILE.decode(data).Records
    texts = [bytes(raws[index]) for index in wanted]
    try:
        out.records = list(zip(wanted, map(orjson.loads, texts), strict=True))
    except orjson.JSONDecodeError:
        return False
    out.texts = texts
    return True


def _scan_usual(data: bytes, out: Scan) -> bool:
    """`{"Records": [...]}` where every head is of the usual types, split in C: the cost events
    parsed in full, the others kept by id. False for any other file (`_scan_fast` reads it)."""
    try:
        heads = _USUAL.decode(data).Records
    except msgspec.DecodeError:
        return False
    ids = list(map(_ID, heads))
    if "" in ids:
        return False  # an empty eventID: that record's id is derived, record by record
    marks = list(map(_share, map(_MARK, heads)))
    times = list(map(_TIME, heads))
    if not PARSERS_KEYS.isdisjoint(marks):
        cost = list(map(_IS_COST, marks))
        if not _cost_records(data, list(compress(range(len(heads)), cost)), out):
            return False
        rest = list(map(not_, cost))
        ids, marks = list(compress(ids, rest)), list(compress(marks, rest))
        times = list(compress(times, rest))
    out.ids, out.marks, out.times = ids, marks, times
    out.read = len(heads)
    return True


def _scan_fast(data: bytes, out: Scan) -> bool:
    """`{"Records": [...]}`: read only each record's head; parse fully only the cost events.

    False when the file is not in that shape (a record that is not an object, or one orjson
    would reject): the caller then reads it the full way, so nothing differs but the speed.
    """
    try:
        heads = _HEADS.decode(data).Records
    except msgspec.DecodeError:
        return False
    wanted: list[int] = []
    for index, head in enumerate(heads):
        mark = _other(head.eventSource, head.eventName, head.eventID)
        if mark is None:
            wanted.append(index)
        else:
            out.other(head.eventID, mark, head.eventTime)
    if wanted and not _cost_records(data, wanted, out):
        return False
    out.read = len(heads)
    return True
