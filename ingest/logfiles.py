"""Read CloudTrail logs from disk: S3-delivered `*.json.gz`, plain JSON, JSON lines, EventBridge
envelopes, recursively. Unreadable input is reported as `BadInput`, never raised."""

from __future__ import annotations

import csv
import gzip
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
from isal import isal_zlib
from isal.igzip_lib import IsalError

from engine import iter_records
from ingest import athena
from ingest._heads import Scan, _other, _scan_fast, _scan_usual, time_range

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


# ---- the fast path: find the cost-relevant records before parsing them (`_heads`) -----------


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
    mark = None
    if isinstance(raw, dict):
        mark = _other(raw.get("eventSource"), raw.get("eventName"), raw.get("eventID"))
    if mark is None:
        out.records.append((index, raw))
    else:
        out.other(raw["eventID"], mark, raw.get("eventTime"))


def _scan_csv(data: bytes, source: str, out: Scan) -> None:
    """An Athena result (`dd0c-cost athena-sql`)."""
    try:
        for index, raw in enumerate(athena.records(data)):
            _classify(raw, index, out)
    except (UnicodeDecodeError, csv.Error) as exc:
        out.bad.append(BadInput(source, f"not an Athena CSV result: {exc}"))


def scan_bytes(data: bytes, source: str) -> Scan:
    """Every record of one file that can matter, each valid non-cost record only counted."""
    try:
        plain = decompress(data)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        out = Scan(bad=[BadInput(source, f"cannot read: {exc}")])
    else:
        out = _scan_plain(plain, source)
        out.times = time_range(out.times)  # two strings travel back from a worker, not thousands
    out.size = len(data)
    return out


def _scan_plain(plain: bytes, source: str) -> Scan:
    """The first way that reads the file: an Athena CSV, usual heads, any heads, in full."""
    out = Scan()
    if source.endswith(CSV_SUFFIXES):
        _scan_csv(plain, source, out)
    elif not _scan_usual(plain, out):
        out = Scan()
        if not _scan_fast(plain, out):
            out = Scan()
            _scan_full(plain, source, out)
    return out


def scan_files(names: list[str]) -> list[Scan]:
    """`scan_file` of several files: one round trip to a worker process for all of them."""
    return [scan_file(name) for name in names]


FIRST_READ = 1 << 16  # bytes: most CloudTrail files (a few KB gzipped) are read in one call


def _read_file(name: str) -> bytes:
    """A whole file, read to its end. A file object costs as much as the read of a small log
    file (its buffer, its fstat, the context manager): this is one open, one read and one more
    that meets the end; a larger file is read for the size fstat gives, then to its end. Errors
    read as `open`'s do (with the file's name)."""
    handle = os.open(name, os.O_RDONLY)
    try:
        chunks = [os.read(handle, FIRST_READ)]
        if len(chunks[0]) == FIRST_READ:
            chunks.append(os.read(handle, max(os.fstat(handle).st_size - FIRST_READ, 0) + 1))
        while chunks[-1]:
            chunks.append(os.read(handle, FIRST_READ))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, name) from None
    finally:
        os.close(handle)
    chunks.pop()  # the empty read at the end
    return b"".join(chunks)  # one chunk: that chunk itself, not a copy


def scan_file(path: str | Path) -> Scan:
    """`scan_bytes` of a file on disk (or stdin for '-')."""
    name = str(path)
    try:
        data = sys.stdin.buffer.read() if name == "-" else _read_file(name)
    except OSError as exc:
        out = Scan()
        out.bad.append(BadInput(name, f"cannot read: {exc}"))
        return out
    return scan_bytes(data, name)
