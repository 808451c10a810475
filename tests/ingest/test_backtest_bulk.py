"""A file's non-cost records are taken at once (in C) only when that is the same as taking every
record in file order: on files full of shared eventIDs (inside a file, across files, between a
cost event and a non-cost record), both ways count, keep and remember the same."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import backtest
from ingest._window import Window
from ingest.backtest import Collected, _take_scan
from ingest.layout import LogRef
from ingest.logfiles import Scan
from tests.fixtures import load

RUN = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
IDS = ["a", "b", "c", "d", "e"]
OTHER_MARKS = [("sts.amazonaws.com", "AssumeRole"), ("ec2.amazonaws.com", "DescribeInstances")]


@st.composite
def _scan(draw: st.DrawFn) -> Scan:
    """One file: non-cost records, cost events and records without an eventID, ids from a small
    pool so that they meet."""
    scan = Scan()
    for index in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["other", "other", "cost", "no-id"]))
        event_id = draw(st.sampled_from(IDS))
        if kind == "other":
            scan.ids.append(event_id)
            scan.marks.append(draw(st.sampled_from(OTHER_MARKS)))
            continue
        record: dict[str, Any] = {**RUN, "eventID": event_id}
        record["eventTime"] = f"2026-01-01T00:0{draw(st.integers(0, 9))}:00Z"
        if kind == "no-id":
            del record["eventID"]
        scan.records.append((index, record))
    scan.read = len(scan.ids) + len(scan.records)
    return scan


def _taken(scans: list[Scan], at_once: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if not at_once:
            patch.setattr(backtest, "_others_at_once", lambda *_: False)
        out, window = Collected(), Window(timedelta(hours=2))
        released: list[Any] = []
        for number, scan in enumerate(scans):
            ref = LogRef(f"f{number}", (number,), f"2026-01-01T0{number}:00:00Z")
            _take_scan(scan, ref, out, window)
            released += [r.get("eventID") for r in window.advance(ref.delivered)]
        released += [r.get("eventID") for r in window.drain()]
    return (
        out.not_cost,
        out.duplicates,
        out.conflicts,
        out.bad,
        out.first_time,
        out.last_time,
        window.seen,
        released,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(_scan(), max_size=4))
def test_taking_non_cost_records_at_once_changes_nothing(scans: list[Scan]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _taken(scans, True, monkeypatch) == _taken(scans, False, monkeypatch)


def test_a_non_cost_record_before_a_cost_event_with_its_id_is_the_first() -> None:
    # The order matters here (the cost event is the conflict), so the file is taken in order.
    scan = Scan(records=[(1, {**RUN, "eventID": "a"})], ids=["a"], marks=[OTHER_MARKS[0]], read=2)
    out, window = Collected(), Window(timedelta(hours=2))
    _take_scan(scan, LogRef("f", (0,), "2026-01-01T00:00:00Z"), out, window)
    assert out.not_cost == 1 and len(out.conflicts) == 1
    assert out.conflicts[0].first_event == "sts.amazonaws.com AssumeRole"
