"""The reference reader: every record in memory, one full sort by eventTime (the backtest before
issue 17). The tests hold the windowed backtest to its order; `bench.speed` feeds the engine from
it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine import PARSERS_KEYS
from engine.errors import NormalizeError
from engine.normalize import derived_event_id
from engine.records import looks_like_record
from ingest.logfiles import discover, read_records


def _event_id(raw: Mapping[str, Any]) -> str:
    event_id = raw.get("eventID")
    return event_id if isinstance(event_id, str) and event_id else derived_event_id(raw)


def sorted_records(paths: Iterable[str | Path]) -> list[Mapping[str, Any]]:
    """Cost-relevant records under `paths`, the first of each eventID, stably sorted by time."""
    files, _ = discover(paths)
    seen: set[str] = set()
    kept: list[Mapping[str, Any]] = []
    for path in files:
        for raw in read_records(path):
            if (
                not looks_like_record(raw)
                or (raw["eventSource"], raw["eventName"]) not in PARSERS_KEYS
            ):
                continue
            try:
                event_id = _event_id(raw)
            except NormalizeError:
                continue
            if event_id not in seen:
                seen.add(event_id)
                kept.append(raw)
    kept.sort(key=lambda r: str(r.get("eventTime", "")))
    return kept
