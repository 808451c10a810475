"""The organisation-scale path: the Athena query selects exactly the supported events, and the
backtest reads its result (CSV as Athena writes it, locally or from the output location in S3)
with the verdicts of the same records read from the logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import aioboto3
import boto3  # type: ignore[import-untyped]  # no stubs installed: test set-up only
import orjson
import pytest

from cli import main
from engine import SUPPORTED_EVENTS
from ingest.athena import from_row, is_row, records, sql
from ingest.backtest import Options, run_backtest
from ingest.s3logs import S3Reader
from pricing import load_catalogue
from tests.aws import REGION, running_moto, unique_name
from tests.fixtures import EVENTS

CATALOGUE = load_catalogue()
SAMPLES = Path(__file__).parents[2] / "samples" / "AWSLogs"
RESULT = EVENTS / "athena" / "samples_result.csv"  # the samples' cost events, as Athena writes them


def _selected(query: str) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for source, names in re.findall(r"eventsource = '([^']+)' AND eventname IN \(([^)]*)\)", query):
        pairs.update((source, name) for name in re.findall(r"'([^']+)'", names))
    return pairs


def test_the_query_selects_exactly_the_supported_events() -> None:
    query = sql(date(2026, 1, 1), date(2026, 1, 31))
    assert _selected(query) == set(SUPPORTED_EVENTS)
    assert "eventtime >= '2026-01-01T00:00:00Z'" in query
    assert "eventtime < '2026-02-01T00:00:00Z'" in query
    assert '"timestamp"' not in query
    projected = sql(date(2026, 1, 1), date(2026, 1, 31), "org_trail", projected=True)
    assert "\"timestamp\" BETWEEN '2026/01/01' AND '2026/01/31'" in projected
    assert "FROM org_trail" in projected


def test_cli_prints_the_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["athena-sql", "--since", "2026-03-01", "--until", "2026-03-02"]) == 0
    assert _selected(capsys.readouterr().out) == set(SUPPORTED_EVENTS)
    assert main(["athena-sql", "--since", "2026-03-02", "--until", "2026-03-01"]) == 2


@pytest.mark.parametrize("table", ["mydb.cloudtrail_logs_2026", "CloudTrail_Logs"])
def test_cli_names_the_table_given(capsys: pytest.CaptureFixture[str], table: str) -> None:
    assert (
        main(["athena-sql", "--since", "2026-03-01", "--until", "2026-03-02", "--table", table])
        == 0
    )
    assert f"FROM {table}\n" in capsys.readouterr().out


@pytest.mark.parametrize("table", ["x; DROP TABLE y", "db.schema.t", "", "t -- c", "t\nUNION"])
def test_cli_refuses_a_table_name_the_query_cannot_hold(
    capsys: pytest.CaptureFixture[str], table: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["athena-sql", "--since", "2026-03-01", "--until", "2026-03-02", "--table", table])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "a table is [database.]table" in captured.err and captured.out == ""


def test_cli_refuses_the_last_representable_day(capsys: pytest.CaptureFixture[str]) -> None:
    """The query ends at the start of the day after --until: 9999-12-31 has none (it raised)."""
    assert main(["athena-sql", "--since", "2026-01-01", "--until", "9999-12-31"]) == 2
    assert "--until must be before 9999-12-31" in capsys.readouterr().err


def test_a_row_becomes_a_cloudtrail_record() -> None:
    row = {
        "eventsource": "ec2.amazonaws.com",
        "eventname": "RunInstances",
        "eventid": "e",
        "requestparameters": '{"instanceType":"m5.large"}',
        "responseelements": "",
        "ui_type": "AssumedRole",
        "ui_issuer_arn": "arn:aws:iam::1:role/x",
        "errorcode": None,
    }
    assert is_row(row) and not is_row({"eventSource": "x", "eventsource": "x"})
    assert from_row(row) == {
        "eventSource": "ec2.amazonaws.com",
        "eventName": "RunInstances",
        "eventID": "e",
        "requestParameters": {"instanceType": "m5.large"},
        "userIdentity": {
            "type": "AssumedRole",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/x"}},
        },
    }


def _outcome(paths: list[str], options: Options | None = None) -> list[tuple[str, object]]:
    result = run_backtest(paths, CATALOGUE, options=options)
    return [(e.event_id, e.anomaly) for e in result.events]


@pytest.fixture(scope="module")
def result_outcome() -> list[tuple[str, object]]:
    """The backtest of the committed result CSV (a fixed file), which three tests compare to."""
    return _outcome([str(RESULT)])


def test_the_result_csv_scores_as_the_logs_do(result_outcome: list[tuple[str, object]]) -> None:
    assert len(list(records(RESULT.read_bytes()))) > 100
    assert result_outcome == _outcome([str(SAMPLES)])


def test_unload_json_lines_are_read_too(
    tmp_path: Path, result_outcome: list[tuple[str, object]]
) -> None:
    import csv

    with RESULT.open(newline="") as handle:
        rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
    lines = tmp_path / "unload.json"
    lines.write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    assert _outcome([str(lines)]) == result_outcome


def test_a_broken_csv_is_one_unreadable_file(tmp_path: Path) -> None:
    broken = tmp_path / "x.csv"
    broken.write_bytes(b"\xff\xfe not utf-8")
    result = run_backtest([broken], CATALOGUE)
    assert result.summary()["unreadable"] == 1


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with running_moto() as url:
        yield url


@pytest.mark.slow  # S3 on moto's server, three backtests: about 2 s
def test_the_result_is_read_from_the_output_location(
    endpoint: str, result_outcome: list[tuple[str, object]]
) -> None:
    bucket = unique_name("athena-results").lower()
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="q/1234.csv", Body=RESULT.read_bytes())
    s3.put_object(Bucket=bucket, Key="q/1234.csv.metadata", Body=b"\x00binary")
    reader = S3Reader(aioboto3.Session(), endpoint_url=endpoint, region=REGION)
    by_key = _outcome([f"s3://{bucket}/q/1234.csv"], Options(s3=reader))
    reader = S3Reader(aioboto3.Session(), endpoint_url=endpoint, region=REGION)
    by_prefix = _outcome([f"s3://{bucket}/q/"], Options(s3=reader))
    assert by_key == by_prefix == result_outcome
