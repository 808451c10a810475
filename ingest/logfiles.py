"""Read CloudTrail logs from disk: S3-delivered `*.json.gz`, plain JSON, JSON lines, EventBridge
envelopes, recursively. Unreadable input is reported as `BadInput`, never raised."""

from __future__ import annotations

import gzip
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from engine import iter_records

SUFFIXES = (".json.gz", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".gz")
GZIP_MAGIC = b"\x1f\x8b"


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
