"""The prefilter skips only what the full parse would skip: on every fixture and on fuzzed files
(escaped names, odd types, missing ids, duplicate keys, broken JSON), the fast scan hands the
backtest exactly what the full parse does."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import SUPPORTED_EVENTS
from ingest._heads import _MARKS_MAX, _SHARED, Scan, _scan_fast, _scan_usual, _share, time_range
from ingest.logfiles import _scan_full, decompress, scan_bytes
from tests.fixtures import CLOUDTRAIL

FIXTURES = sorted(CLOUDTRAIL.rglob("*.json"))


def _full(data: bytes) -> Scan:
    out = Scan()
    _scan_full(decompress(data), "f", out)
    out.times = time_range(out.times)
    return out


def _same(data: bytes) -> Scan:
    fast, full = scan_bytes(data, "f"), _full(data)
    assert fast.records == full.records
    assert (fast.ids, fast.marks) == (full.ids, full.marks)
    assert (fast.read, fast.times, fast.bad) == (full.read, full.times, full.bad)
    # The general head reader (what a file with an odd head goes through) agrees as well.
    general = Scan()
    if _scan_fast(decompress(data), general):
        assert (general.records, general.ids, general.marks) == (
            full.records,
            full.ids,
            full.marks,
        )
        assert time_range(general.times) == full.times
    return fast


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(CLOUDTRAIL)))
def test_every_fixture_is_kept_or_skipped_as_the_full_parse_does(path: Path) -> None:
    document = orjson.loads(path.read_bytes())
    records = document.get("Records", [document]) if isinstance(document, dict) else document
    for data in (orjson.dumps({"Records": records}), path.read_bytes()):
        _same(gzip.compress(data))


def test_all_fixtures_in_one_file_keep_every_cost_event() -> None:
    records: list[Any] = []
    for path in FIXTURES:
        document = orjson.loads(path.read_bytes())
        records.extend(
            document.get("Records", [document]) if isinstance(document, dict) else document
        )
    scan = _same(orjson.dumps({"Records": records}))
    kept = [r for _, r in scan.records if isinstance(r, dict)]
    cost = [
        r
        for r in records
        if isinstance(r, dict)
        and (r.get("eventSource"), r.get("eventName")) in set(SUPPORTED_EVENTS)
    ]
    assert len(kept) >= len(cost) > 0


NAMES = [n for _, n in SUPPORTED_EVENTS] + ["DescribeInstances", "ConsoleLogin", ""]
SOURCES = sorted({s for s, _ in SUPPORTED_EVENTS}) + ["sts.amazonaws.com"]


def _escaped(text: str) -> str:
    """The JSON for a string with every character as a \\u escape."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'


@st.composite
def _record(draw: st.DrawFn) -> str:
    fields: list[str] = []
    name = draw(st.sampled_from(NAMES))
    source = draw(st.sampled_from(SOURCES))
    for key, value in (("eventName", name), ("eventSource", source)):
        kind = draw(st.sampled_from(["plain", "escaped", "missing", "number", "duplicate"]))
        if kind == "plain":
            fields.append(f'"{key}":{orjson.dumps(value).decode()}')
        elif kind == "escaped":
            fields.append(f'"{key}":{_escaped(value)}')
        elif kind == "number":
            fields.append(f'"{key}":42')
        elif kind == "duplicate":
            fields.append(f'"{key}":"Decoy","{key}":{orjson.dumps(value).decode()}')
    event_id = draw(st.sampled_from(['"e-1"', '"e-2"', '""', "7", None]))
    if event_id is not None:
        fields.append(f'"eventID":{event_id}')
    when = draw(st.sampled_from(['"2026-01-01T00:00:00Z"', '"x"', "1"]))
    fields.append(f'"eventTime":{when}')
    fields.append(
        '"requestParameters":{"instanceType":"m5.large","nested":[1,{"eventName":"RunInstances"}]}'
    )
    if draw(st.booleans()):
        return draw(st.sampled_from(["42", '"text"', "[]", "null"]))
    return "{" + ",".join(fields) + "}"


@st.composite
def _file(draw: st.DrawFn) -> bytes:
    records = draw(st.lists(_record(), max_size=6))
    text = '{"Records":[' + ",".join(records) + "]}"
    damage = draw(st.sampled_from(["none", "truncate", "lone-surrogate", "gzip", "lines"]))
    if damage == "truncate" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif damage == "lone-surrogate":
        text = text.replace('"eventTime":', '"x":"\\ud800","eventTime":', 1)
    elif damage == "lines":
        text = "\n".join(records)
    data = text.encode()
    return gzip.compress(data) if damage == "gzip" else data


@pytest.mark.slow  # hypothesis, 400 files: about 1.5 s
@settings(max_examples=400, deadline=None)
@given(_file())
def test_fuzzed_files_are_kept_or_skipped_as_the_full_parse_does(data: bytes) -> None:
    _same(data)


def _range_one_by_one(times: list[str]) -> list[str]:
    """The range as the reader took it before issue 17's bulk path: record by record."""
    valid = [t for t in times if len(t) >= 19 and t[4] == "-"]
    if not valid:
        return []

    def key(t: str) -> tuple[str, str]:
        return t[:10], t[11:19]

    low, high = min(valid, key=key), max(valid, key=key)
    return [f"{t[:10]}T{t[11:19]}Z" for t in (low, high)]


_TIMES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "x",
                "",
                "2026-01-01",
                "2026-01-01T00:00",
                "20260101T000000Z",
                "1",
                "~~~~~~~~~~~~~~~~~~~~",
            ]
        ),
        st.builds(
            "{}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}".format,
            st.sampled_from(["2025", "2026"]),
            st.integers(1, 12),
            st.integers(1, 28),
            st.sampled_from(["T", " ", "t"]),
            st.integers(0, 23),
            st.integers(0, 59),
            st.integers(0, 59),
            st.sampled_from(["Z", ".123Z", "+02:00", "", ".5"]),
        ),
    ),
    max_size=8,
)


@settings(max_examples=500, deadline=None)
@given(_TIMES)
def test_the_time_range_in_bulk_is_the_range_record_by_record(times: list[str]) -> None:
    assert time_range(times) == _range_one_by_one(times)


def test_usual_files_are_split_without_python_per_record() -> None:
    # Every sample file has usual heads: the bulk split reads it and finds what the full parse does.
    samples = sorted((Path(__file__).parents[2] / "samples" / "AWSLogs").rglob("*.json.gz"))
    assert samples
    for path in samples:
        plain = decompress(path.read_bytes())
        usual = Scan()
        assert _scan_usual(plain, usual)
        _same(path.read_bytes())


@pytest.mark.parametrize(
    "ids",
    [[], ["e-1"], ["e-1", "e-2", "e-3"], ["line\nbreak", "e-2"], ["e-1", "e-1"]],
)
def test_a_scan_crosses_to_a_worker_and_back_unchanged(ids: list[str]) -> None:
    marks = [("sts.amazonaws.com", "AssumeRole")] * len(ids)
    scan = Scan(records=[(len(ids), {"eventID": "c"})], ids=ids, marks=marks, read=len(ids) + 1)
    scan.size = 2143
    scan.times = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]
    back = pickle.loads(pickle.dumps(scan))
    assert back == scan
    assert len({id(mark) for mark in back.marks}) <= 1  # equal marks travel once


def test_cost_events_cross_as_their_json_text() -> None:
    record = {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "eventID": "c"}
    data = orjson.dumps({"Records": [record, {**record, "eventName": "DescribeInstances"}]})
    scan = scan_bytes(data, "f")
    assert scan.texts == [orjson.dumps(record)]
    back = pickle.loads(pickle.dumps(scan))
    assert back.records == scan.records == [(0, record)] and back.ids == ["c"]


def test_the_shared_marks_stay_bounded() -> None:
    # A file of made-up event names cannot grow the table of shared marks without end.
    for number in range(_MARKS_MAX * 2 + 1):
        assert _share(("x.amazonaws.com", f"Made{number}")) == ("x.amazonaws.com", f"Made{number}")
    assert len(_SHARED) <= _MARKS_MAX
