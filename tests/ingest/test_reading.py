"""The reading's short cuts give what the general way gives: a file read with two system calls is
its bytes (and fails as `open` fails), the usual delivery time is shifted as any other stamp, and
a day's files come in `delivery_order` with their place in the walk."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest._window import _Shifted, shifts
from ingest.backtest import Options, run_backtest
from ingest.layout import (
    Filters,
    LocalLister,
    LogRef,
    _day_in_order,
    delivered_at,
    delivery_order,
    is_log,
    ref,
    walk,
)
from ingest.logfiles import FIRST_READ, _read_file, discover
from pricing import load_catalogue
from tests.fixtures import load


@pytest.mark.parametrize("size", [0, 1, FIRST_READ - 1, FIRST_READ, FIRST_READ + 1, 3 * FIRST_READ])
def test_a_file_is_read_whole_whatever_its_size(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.json.gz"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    assert _read_file(str(path)) == path.read_bytes()


@pytest.mark.parametrize("name", ["missing.json.gz", "."])
def test_a_file_that_cannot_be_read_fails_as_open_does(tmp_path: Path, name: str) -> None:
    path = str(tmp_path / name)
    with pytest.raises(OSError) as opened:
        open(path, "rb").read()  # the reference: its error
    with pytest.raises(OSError) as read:
        _read_file(path)
    assert (type(read.value), str(read.value)) == (type(opened.value), str(opened.value))


def _general(stamp: str, *deltas: timedelta) -> list[str]:
    when = datetime.fromisoformat(stamp).astimezone(UTC).replace(tzinfo=None)
    return [(when + delta).isoformat(timespec="seconds") for delta in deltas]


_ZONES = st.sampled_from(["Z", "+00:00", "+01:30", "-05:00", ""])
_WHEN = st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1))
_DELTAS = st.lists(st.timedeltas(timedelta(days=-3), timedelta(days=3)), max_size=3)


@settings(max_examples=500, deadline=None)
@given(_WHEN, st.sampled_from(["seconds", "milliseconds", "microseconds"]), _ZONES, _DELTAS)
def test_shifted_reads_every_stamp_as_the_general_way(
    when: datetime, precision: str, zone: str, deltas: list[timedelta]
) -> None:
    stamp = when.isoformat(timespec=precision) + zone
    assert _Shifted(*deltas)(stamp) == _general(stamp, *deltas)


@given(st.text(max_size=24).map(lambda text: text + "Z"))
def test_shifted_refuses_what_the_general_way_refuses(stamp: str) -> None:
    try:
        expected = _general(stamp, timedelta(hours=-2))
    except ValueError:
        with pytest.raises(ValueError):
            _Shifted(timedelta(hours=-2))(stamp)
    else:
        assert _Shifted(timedelta(hours=-2))(stamp) == expected


@pytest.mark.parametrize(
    "stamp",
    ["2026-01-01Z", "2026-W01-1Z", "20260101Z", "2026-01-01TZ", "2026-01-01T10Z", "2026-W01-1T10Z"],
)
def test_a_stamp_is_refused_or_read_as_the_general_way_does(stamp: str) -> None:
    assert _outcome(_Shifted(timedelta(hours=-2)), stamp) == _outcome(
        _general, stamp, timedelta(hours=-2)
    )


_ISO_ISH = st.builds(
    lambda when, day, sep, time, zone: when.strftime(day + sep + time) + zone,
    _WHEN,
    st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%G-W%V-%u", "%GW%V%u", "%Y-%j"]),
    st.sampled_from(["T", " ", "", "t"]),
    st.sampled_from(["", "%H", "%H:%M", "%H%M", "%H:%M:%S", "%H%M%S", "%H:%M:%S.%f"]),
    st.sampled_from(["Z", "", "+01:00", "ZZ"]),
)


@settings(max_examples=500, deadline=None)
@given(_ISO_ISH)
def test_shifted_reads_or_refuses_iso_forms_as_the_general_way(stamp: str) -> None:
    assert _outcome(_Shifted(timedelta(hours=-2)), stamp) == _outcome(
        _general, stamp, timedelta(hours=-2)
    )


def test_an_offset_before_the_z_is_read_the_general_way() -> None:
    stamp = "2026-01-01T10:00:00+01:00"
    aware = datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    assert _Shifted(timedelta(0))(stamp) == [aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")]
    with pytest.raises(ValueError):
        _Shifted(timedelta(0))(stamp + "Z")


def _outcome(shift: Callable[..., list[str]], *args: Any) -> list[str] | str:
    try:
        return shift(*args)
    except ValueError as exc:
        return f"ValueError: {exc}"


_DELIVERED = st.one_of(
    _WHEN.map(lambda when: when.isoformat(timespec="seconds") + "Z"),
    st.builds(
        "2026-01-01T{:02d}:{:02d}:{:02d}Z".format, st.integers(9, 10), *[st.integers(0, 61)] * 2
    ),
    st.sampled_from(["2026-01-01T10:59:59Z", "2026-01-01T10:60:00Z", "2026-13-01T10:00:00Z"]),
    st.sampled_from(
        ["2026-01-01T10:00:00.5Z", "2026-01-01T10:00:00+01:00", "2026-01-01 10:00:00Z"]
    ),
)
_HOURS = st.lists(st.integers(-72, 72).map(lambda hours: timedelta(hours=hours)), max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DELIVERED, max_size=8), st.one_of(_HOURS, _DELTAS))
def test_shifting_file_after_file_is_shifting_each_alone(
    stamps: list[str], deltas: list[timedelta]
) -> None:
    # Sorted: files come in delivery order, the same hour often several times in a row.
    shifted = _Shifted(*deltas)
    for stamp in sorted(stamps):
        assert _outcome(shifted, stamp) == _outcome(shifts, stamp, *deltas)


_STAMPS = st.sampled_from(["20260101T0005Z", "20260101T0010Z", "20260101T0105Z", "nostamp"])
_FILES = st.lists(
    st.tuples(
        st.sampled_from(["111122223333", "222233334444"]),
        st.sampled_from(["us-east-1", "eu-west-1"]),
        _STAMPS,
        st.sampled_from(["a", "b"]),
        st.sampled_from([".json.gz", ".json", ".txt"]),
    ),
    unique_by=lambda file: file,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_FILES, st.integers(0, 2), st.integers(1, 3), st.data())
def test_a_day_in_order_is_delivery_order(
    files: list[tuple[str, str, str, str, str]], root: int, days: int, data: st.DataObject
) -> None:
    number = data.draw(st.integers(0, days - 1))
    listed: dict[str, list[str]] = {}
    for account, region, stamp, tail, suffix in files:
        prefix = f"AWSLogs/{account}/CloudTrail/{region}/2026/01/01/"
        listed.setdefault(prefix, []).append(
            f"{prefix}{account}_CloudTrail_{region}_{stamp}_{tail}{suffix}"
        )
    refs = [ref(name, root) for names in listed.values() for name in names if is_log(name)]
    expected = [
        LogRef(item.name, item.order, item.delivered, (number + at / len(refs)) / days)
        for at, item in enumerate(delivery_order(refs))
    ]
    assert _day_in_order(list(listed.values()), root, number, days) == expected


def test_the_bytes_counted_are_the_files_as_stored() -> None:
    samples = Path(__file__).parents[2] / "samples" / "AWSLogs"
    files, _ = discover([samples])
    result = run_backtest([samples], load_catalogue(), options=Options(keep=False))
    assert result.collected.files == len(files)
    assert result.collected.bytes == sum(path.stat().st_size for path in files) > 0


@pytest.mark.parametrize(
    "stamp",
    ["20261301T0000Z", "20260230T1200Z", "20261001T2400Z", "20261001T1260Z", "00001001T0000Z"],
)
def test_a_file_named_with_an_impossible_time_is_read_as_one_without_a_time(
    tmp_path: Path, stamp: str
) -> None:
    """A file name's stamp is anything its writer put there: an impossible one is no delivery
    time (read with the unnamed files), never a crash of the run."""
    record = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
    day = tmp_path / "AWSLogs" / "111111111111" / "CloudTrail" / "us-east-1" / "2026" / "10" / "01"
    day.mkdir(parents=True)
    odd = day / f"111111111111_CloudTrail_us-east-1_{stamp}_odd.json.gz"
    usual = day / "111111111111_CloudTrail_us-east-1_20261001T0005Z_usual.json.gz"
    odd.write_bytes(gzip.compress(orjson.dumps({"Records": [record]})))
    other = {**record, "eventID": "another-id"}
    usual.write_bytes(gzip.compress(orjson.dumps({"Records": [other]})))
    assert delivered_at(str(odd)) is None
    assert delivered_at(str(usual)) == "2026-10-01T00:05:00Z"
    for paths in ([tmp_path / "AWSLogs"], [odd, usual]):  # the layout walk, and files named
        summary = run_backtest(paths, load_catalogue()).summary()
        assert (summary["files"], summary["recordsRead"], summary["costEvents"]) == (2, 2, 2)


class _Counting(LocalLister):
    """A local lister that counts its listings (each is a LIST request on S3)."""

    def __init__(self) -> None:
        self.listings = 0

    async def dirs(self, prefix: str) -> list[str]:
        self.listings += 1
        return await super().dirs(prefix)

    async def files(self, prefix: str) -> list[str]:
        self.listings += 1
        return await super().files(prefix)


@pytest.mark.parametrize(
    ("since", "until", "most"),
    [
        (date(2026, 10, 1), date(2026, 10, 3), 8),  # a short range: its days listed directly
        (date(1, 1, 1), date(9999, 12, 31), 12),  # a huge one: the folders, not 3.6M days
        (date(2026, 1, 1), date(2026, 12, 31), 12),  # a year: the folders, not 365 days
    ],
)
async def test_a_date_range_costs_listings_by_what_is_there_not_by_its_length(
    tmp_path: Path, since: date, until: date, most: int
) -> None:
    record = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
    region = tmp_path / "AWSLogs" / "111111111111" / "CloudTrail" / "us-east-1"
    for day in (1, 2, 3):
        folder = region / "2026" / "10" / f"{day:02d}"
        folder.mkdir(parents=True)
        name = f"111111111111_CloudTrail_us-east-1_202610{day:02d}T0005Z_x.json.gz"
        one = {**record, "eventID": f"e-{day}"}
        (folder / name).write_bytes(gzip.compress(orjson.dumps({"Records": [one]})))
    lister = _Counting()
    filters = Filters(since=since, until=until)
    found = [ref.name async for ref in walk(lister, f"{tmp_path}/AWSLogs/", 0, filters)]
    assert len(found) == 3 and lister.listings <= most, lister.listings
