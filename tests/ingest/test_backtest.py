"""The backtest and the log reader: formats, duplicates, ordering, bad input."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from cli import main
from ingest.backtest import run_backtest
from ingest.logfiles import BadInput, discover, read_records
from pricing import load_catalogue
from tests.fixtures import CLOUDTRAIL, load

SAMPLES = Path(__file__).parents[2] / "samples" / "AWSLogs"
RUN = load("cloudtrail/ec2/run_instances_iam_user_cli.json")


def _record(event_id: str, when: str, **changes: Any) -> dict[str, Any]:
    record = {**RUN, "eventID": event_id, "eventTime": when}
    record.update(changes)
    return record


def _write(path: Path, payload: Any, gz: bool = False) -> Path:
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_reads_s3_gzip_plain_json_lines_and_envelopes(tmp_path: Path) -> None:
    _write(tmp_path / "a.json.gz", {"Records": [_record("a", "2026-01-01T00:00:01Z")]}, gz=True)
    _write(tmp_path / "b.json", {"detail-type": "AWS API Call via CloudTrail",
                                 "detail": _record("b", "2026-01-01T00:00:02Z")})  # fmt: skip
    lines = b"\n".join(orjson.dumps(_record(i, f"2026-01-01T00:00:0{n}Z")) for n, i in
                       enumerate(["c", "d"], start=3))  # fmt: skip
    _write(tmp_path / "c.jsonl", lines)
    result = run_backtest([tmp_path], load_catalogue())
    assert [e.event_id for e in result.events] == ["a", "b", "c", "d"]
    assert result.summary()["files"] == 3


def test_duplicates_are_dropped_and_events_ordered_by_time(tmp_path: Path) -> None:
    late, early = _record("x", "2026-01-02T00:00:00Z"), _record("y", "2026-01-01T00:00:00Z")
    _write(tmp_path / "1.json", {"Records": [late, early]})
    _write(tmp_path / "2.json", {"Records": [late]})
    result = run_backtest([tmp_path], load_catalogue())
    assert [e.event_id for e in result.events] == ["y", "x"]
    assert result.summary()["duplicatesDropped"] == 1


def test_bad_input_is_counted_never_raised(tmp_path: Path) -> None:
    _write(tmp_path / "broken.json.gz", b"\x1f\x8bnot really gzip")
    _write(tmp_path / "text.json", b"{not json\n[1, 2\n")
    _write(tmp_path / "ok.json", {"Records": [_record("ok", "2026-01-01T00:00:00Z"), 42]})
    result = run_backtest([tmp_path, tmp_path / "missing"], load_catalogue())
    summary = result.summary()
    assert summary["costEvents"] == 1
    assert summary["unreadable"] == 4  # broken gzip, the broken text file, the 42, the missing path
    assert all(isinstance(b, BadInput) and b.reason for b in result.collected.bad)


def test_failed_calls_are_skipped_not_launched(tmp_path: Path) -> None:
    failed = _record("f", "2026-01-01T00:00:00Z", errorCode="Client.UnauthorizedOperation")
    _write(tmp_path / "f.json", {"Records": [failed]})
    result = run_backtest([tmp_path], load_catalogue())
    assert result.events == []
    assert result.summary()["failedCalls"] == 1


def test_start_instances_is_priced_from_the_launch_seen_earlier(tmp_path: Path) -> None:
    start = load("cloudtrail/ec2/start_instances_awsdocs_no_eventid.json")
    instance = start["responseElements"]["instancesSet"]["items"][0]["instanceId"]
    launch = _record("launch", "2014-03-06T20:00:00Z", awsRegion=start["awsRegion"],
                     recipientAccountId=start["userIdentity"]["accountId"])  # fmt: skip
    launch["responseElements"] = {"instancesSet": {"items": [
        {"instanceId": instance, "instanceType": "m5.large"}]}}  # fmt: skip
    launch["requestParameters"] = {"instanceType": "m5.large"}
    _write(tmp_path / "t.json", {"Records": [start, launch]})
    result = run_backtest([tmp_path], load_catalogue())
    started = next(e for e in result.events if e.action == "start")
    assert started.size == "m5.large"
    assert started.estimated_hourly_cost == load_catalogue().ec2("m5.large", "us-east-2").usd


def test_discover_finds_logs_recursively_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "AWSLogs" / "1" / "CloudTrail").mkdir(parents=True)
    log = _write(tmp_path / "AWSLogs" / "1" / "CloudTrail" / "x.json.gz", {"Records": []}, True)
    _write(tmp_path / "notes.txt", b"ignore me")
    files, missing = discover([tmp_path, tmp_path / "nope"])
    assert files == [log]
    assert [m.source for m in missing] == [str(tmp_path / "nope")]
    assert list(read_records(log)) == []


def test_cli_backtest_json_ends_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--json", str(SAMPLES)]) == 0
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]
    assert summary["kind"] == "summary"
    assert all(line["kind"] == "costEvent" for line in lines[:-1])
    assert summary["costEvents"] == len(lines) - 1
    critical = [e for e in lines[:-1] if e["anomaly"] and e["anomaly"]["severity"] == "critical"]
    assert any(e["size"] == "p4d.24xlarge" for e in critical)


def test_cli_backtest_report_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", str(SAMPLES)]) == 0
    out = capsys.readouterr().out
    for heading in ("alerts:", "Alerts (critical and warning", "Costliest launches", "Per actor"):
        assert heading in out


def test_cli_backtest_with_nothing_to_read_exits_2(tmp_path: Path) -> None:
    assert main(["backtest", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--window-minutes", "-5"], "--window-minutes: from 0 to 10080, not -5"),
        (["--window-minutes", "99999999999"], "from 0 to 10080, not 99999999999"),
        (["--workers", "0"], "--workers: from 1 to 256, not 0"),
        (["--concurrency", "many"], "--concurrency: not a whole number: 'many'"),
        (["--account", "prod"], "an AWS account ID is 12 digits, not 'prod'"),
        (["--account", "12345678901２"], "12 digits"),  # a full-width digit is no ASCII digit
    ],
)
def test_cli_backtest_refuses_an_unusable_option(
    capsys: pytest.CaptureFixture[str], arguments: list[str], says: str
) -> None:
    """A clear error and exit 2, never a traceback (a huge window overflowed datetime)."""
    with pytest.raises(SystemExit) as exited:
        main(["backtest", *arguments, str(SAMPLES)])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--since", "2026-10-05", "--until", "2026-10-01", str(SAMPLES)], "is after --until"),
        (["s3://"], "an S3 URL names a bucket"),
        (["s3:///AWSLogs/"], "an S3 URL names a bucket"),
    ],
)
def test_cli_backtest_refuses_arguments_that_select_nothing(
    capsys: pytest.CaptureFixture[str], arguments: list[str], says: str
) -> None:
    assert main(["backtest", *arguments]) == 2
    captured = capsys.readouterr()
    assert says in captured.err and captured.out == ""


def test_cli_normalize_all_prints_skipped_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["normalize", "--all", "--json", str(CLOUDTRAIL / "ec2")]) == 0
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = {line["kind"] for line in lines}
    assert kinds == {"costEvent", "skipped"}
    failed = [x for x in lines if x["kind"] == "skipped" and "UnauthorizedOperation" in x["reason"]]
    assert len(failed) == 1


def test_cli_normalize_shows_an_unnamed_caller_as_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
    record.pop("userIdentity", None)
    path = tmp_path / "unnamed.json"
    path.write_bytes(orjson.dumps(record))
    assert main(["normalize", str(path)]) == 0
    line = capsys.readouterr().out.strip()
    assert "launch" in line and "None" not in line and "  ?" in line
