"""Read CloudTrail logs from disk: S3-delivered `*.json.gz`, plain JSON, JSON lines, EventBridge
envelopes, recursively. Unreadable input is reported as `BadInput`, never raised."""

from __future__ import annotations

import csv
import gzip
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, cast

import msgspec
import orjson
from isal import isal_zlib
from isal.igzip_lib import IsalError

from engine import PARSERS_KEYS, iter_records
from ingest import athena

SUFFIXES = (".json.gz", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".gz")
GZIP_MAGIC = b"\x1f\x8b"
# isal's stubs do not declare IsalError an exception class; it is one (Exception subclass).
_INFLATE_ERRORS = cast("tuple[type[Exception], ...]", (IsalError,))
CSV_SUFFIXES = (".csv", ".csv.gz")  # Athena results: read when named, never found by discover


@dataclass(frozen=True, slots=True)
class BadInput:
    """Input that could not be read as JSON: where, and why."""

    source: str
    reason: str


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[BadInput]]:
    """Log files under the given files and directories, sorted; missing paths are reported."""
    found: list[Path] = []
    missing: list[BadInput] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and _is_log(p))
        elif path.is_file() or str(raw) == "-":
            found.append(path)
        else:
            missing.append(BadInput(str(raw), "no such file or directory"))
    return found, missing


def _is_log(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when gzip-compressed (by content, not by name)."""
    data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        return gzip.decompress(data)
    return data


def _json_lines(data: bytes, source: str) -> Iterator[Any]:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield BadInput(f"{source}:{number}", f"not JSON: {exc}")


def _first_line(data: bytes) -> bytes:
    for line in data.splitlines():
        if line.strip():
            return line
    return b""


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def parse_documents(data: bytes, source: str) -> Iterator[Any]:
    """One JSON document, or JSON lines when the whole is not one document.

    A file whose first line is not JSON on its own (a pretty-printed document) is one broken
    document: one unreadable file, with the parse error's line, not hundreds of bad lines.
    """
    try:
        yield orjson.loads(data)
        return
    except orjson.JSONDecodeError as exc:
        if not _is_json(_first_line(data)):
            yield BadInput(source, f"not JSON: {exc}")
            return
    yield from _json_lines(data, source)


def read_records(path: Path) -> Iterator[Any]:
    """Every CloudTrail record in one file (a BadInput for what cannot be read)."""
    try:
        data = read_bytes(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield BadInput(str(path), f"cannot read: {exc}")
        return
    for document in parse_documents(data, str(path)):
        if isinstance(document, BadInput):
            yield document
        else:
            yield from iter_records(document)


# ---- the fast path: find the cost-relevant records before parsing them ----------------------


class _File(msgspec.Struct):
    """A CloudTrail log file as S3 delivers it; each record kept as its raw bytes."""

    Records: list[msgspec.Raw]


class _Head(msgspec.Struct):
    """The fields the prefilter reads; msgspec skips the rest without building it."""

    eventName: Any = None  # noqa: N815 (CloudTrail's field names)
    eventSource: Any = None  # noqa: N815
    eventTime: Any = None  # noqa: N815
    eventID: Any = None  # noqa: N815


class _Heads(msgspec.Struct):
    """A log file read as heads only: one pass in C, nothing built but four fields a record."""

    Records: list[_Head]


_FILE = msgspec.json.Decoder(_File)
_HEADS = msgspec.json.Decoder(_Heads)


def _second(value: str) -> tuple[str, str]:
    return value[:10], value[11:19]


class Other(NamedTuple):
    """A valid CloudTrail record that is not a cost event: only what de-duplication needs."""

    event_id: str
    mark: tuple[str, str]  # (eventSource, eventName)


@dataclass(slots=True)
class Scan:
    """One file read: with their index in the file, the records the backtest must look at and,
    for the others (valid records that are not cost events), their eventID and name."""

    records: list[tuple[int, Any]] = field(default_factory=list)
    read: int = 0
    times: list[str] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)

    def time_range(self) -> tuple[str, ...]:
        """The earliest and latest well-formed eventTime among the counted records."""
        valid = [t for t in self.times if len(t) >= 19 and t[4] == "-"]  # noqa: PLR2004
        if not valid:
            return ()
        return min(valid, key=_second), max(valid, key=_second)

    def other(self, index: int, item: Other, event_time: object) -> None:
        """Keep a record that is not a cost event by its id; remember its time for the range."""
        self.records.append((index, item))
        if isinstance(event_time, str):
            self.times.append(event_time)


def decompress(data: bytes) -> bytes:
    """`read_bytes`'s result from bytes: ISA-L for one whole gzip member (about twice zlib's
    speed), the standard library for anything else (several members, damage), so that errors
    and results are the same."""
    if data[:2] != GZIP_MAGIC:
        return data
    inflate = isal_zlib.decompressobj(31)
    try:
        plain = inflate.decompress(data)
    except _INFLATE_ERRORS:
        return gzip.decompress(data)
    if not inflate.eof or inflate.unused_data:
        return gzip.decompress(data)
    return plain


def _other(source: object, name: object, event_id: object) -> Other | None:
    """The record by its id when it is a valid record that is not a cost event, else None."""
    if not isinstance(source, str) or not isinstance(name, str) or (source, name) in PARSERS_KEYS:
        return None
    if not isinstance(event_id, str) or not event_id:
        return None  # its id is derived from the whole record: the full path does that
    return Other(event_id, (source, name))


def _other_record(raw: Any) -> Other | None:
    if not isinstance(raw, dict):
        return None
    return _other(raw.get("eventSource"), raw.get("eventName"), raw.get("eventID"))


def _scan_fast(data: bytes, out: Scan) -> bool:
    """`{"Records": [...]}`: read only each record's head; parse fully only the cost events.

    False when the file is not in that shape (a record that is not an object, or one orjson
    would reject): the caller then reads it the full way, so nothing differs but the speed.
    """
    try:
        heads = _HEADS.decode(data).Records
    except msgspec.DecodeError:
        return False
    raws: list[msgspec.Raw] | None = None
    records, times = out.records, out.times
    for index, head in enumerate(heads):
        other = _other(head.eventSource, head.eventName, head.eventID)
        if other is not None:
            records.append((index, other))
            if isinstance(head.eventTime, str):
                times.append(head.eventTime)
            continue
        if raws is None:
            raws = _FILE.decode(data).Records
        try:
            records.append((index, orjson.loads(bytes(raws[index]))))
        except orjson.JSONDecodeError:
            return False
    out.read += len(heads)
    return True


def _scan_full(data: bytes, source: str, out: Scan) -> None:
    index = 0
    for document in parse_documents(data, source):
        if isinstance(document, BadInput):
            out.read += 1
            out.bad.append(document)
            continue
        for raw in iter_records(document):
            _classify(athena.from_row(raw) if athena.is_row(raw) else raw, index, out)
            index += 1


def _classify(raw: Any, index: int, out: Scan) -> None:
    out.read += 1
    other = _other_record(raw)
    if other is not None:
        out.other(index, other, raw.get("eventTime"))
    else:
        out.records.append((index, raw))


def _scan_csv(data: bytes, source: str, out: Scan) -> None:
    """An Athena result (`dd0c-cost athena-sql`)."""
    try:
        for index, raw in enumerate(athena.records(data)):
            _classify(raw, index, out)
    except (UnicodeDecodeError, csv.Error) as exc:
        out.bad.append(BadInput(source, f"not an Athena CSV result: {exc}"))


def scan_bytes(data: bytes, source: str) -> Scan:
    """Every record of one file that can matter, each valid non-cost record only counted."""
    out = Scan()
    try:
        plain = decompress(data)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        out.bad.append(BadInput(source, f"cannot read: {exc}"))
        return out
    if source.endswith(CSV_SUFFIXES):
        _scan_csv(plain, source, out)
    elif not _scan_fast(plain, out):
        out = Scan()
        _scan_full(plain, source, out)
    out.times = list(out.time_range())  # two strings travel back from a worker, not thousands
    return out


def scan_file(path: Path) -> Scan:
    """`scan_bytes` of a file on disk (or stdin for '-')."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        out = Scan()
        out.bad.append(BadInput(str(path), f"cannot read: {exc}"))
        return out
    return scan_bytes(data, str(path))
