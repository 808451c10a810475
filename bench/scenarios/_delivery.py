"""Write events as CloudTrail delivers them to S3, plus labels.jsonl."""

from __future__ import annotations

import gzip
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson

from bench.scenarios._ids import unique_string
from bench.scenarios._model import Event, Label


@dataclass(frozen=True)
class Written:
    """What a run wrote."""

    files: int
    records: int
    labels: int
    incidents: int


def _windows(events: list[Event], rng: Random) -> list[tuple[datetime, list[Event]]]:
    """Split one account+region's sorted events into files of 5-15 minutes (never over midnight)."""
    files: list[tuple[datetime, list[Event]]] = []
    i = 0
    while i < len(events):
        opened = events[i].when
        midnight = datetime.combine(
            opened.date() + timedelta(days=1), datetime.min.time(), tzinfo=opened.tzinfo
        )
        closes = min(opened + timedelta(minutes=rng.randint(5, 15)), midnight)
        j = i
        while j < len(events) and events[j].when < closes:
            j += 1
        last = events[j - 1].when
        delivered = min(
            closes + timedelta(minutes=rng.randint(1, 5)), midnight - timedelta(minutes=1)
        )
        files.append((max(delivered, last), events[i:j]))
        i = j
    return files


def _path(out: Path, account: str, region: str, delivered: datetime, rng: Random) -> Path:
    folder = out / "AWSLogs" / account / "CloudTrail" / region / delivered.strftime("%Y/%m/%d")
    stamp = delivered.strftime("%Y%m%dT%H%MZ")
    return folder / f"{account}_CloudTrail_{region}_{stamp}_{unique_string(rng)}.json.gz"


def write_logs(events: list[Event], out: Path, seed: int) -> int:
    """Write the gzipped log files under out/AWSLogs (replacing what was there); count them."""
    shutil.rmtree(out / "AWSLogs", ignore_errors=True)
    streams: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        streams[(event.account, event.region)].append(event)
    count = 0
    for (account, region), stream in sorted(streams.items()):
        stream.sort(key=lambda e: e.when)
        rng = Random(f"{seed}:delivery:{account}:{region}")
        for delivered, chunk in _windows(stream, rng):
            path = _path(out, account, region, delivered, rng)
            path.parent.mkdir(parents=True, exist_ok=True)
            body = orjson.dumps({"Records": [e.record for e in chunk]})
            path.write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
            count += 1
    return count


def _label_line(event: Event, label: Label, first: dict[str, date]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "eventId": event.record["eventID"],
        "accountId": event.account,
        "day": (event.when.date() - first[event.account]).days,
        "label": label.kind,
        "scenario": label.scenario,
        "description": label.description,
        "category": label.category,
    }
    if label.kind == "incident":
        line["minHourlyUsd"] = label.min_hourly_usd
        line["incidentId"] = label.incident_id
    return line


def write_labels(events: list[Event], out: Path) -> tuple[int, int]:
    """Write labels.jsonl (one line per labelled record, in time order); count lines, incidents."""
    first: dict[str, date] = {}
    for event in events:
        day = event.when.date()
        first[event.account] = min(first.get(event.account, day), day)
    labelled = sorted((e for e in events if e.label), key=lambda e: (e.when, e.account))
    lines = [_label_line(e, e.label, first) for e in labelled if e.label]
    out.mkdir(parents=True, exist_ok=True)
    (out / "labels.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    incidents = {x["incidentId"] for x in lines if x["label"] == "incident"}
    return len(lines), len(incidents)
