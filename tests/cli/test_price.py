"""`dd0c-cost price`, driven through its own argparse parser (no other sub-command involved)."""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence

import orjson
import pytest

from cli import price


def run(argv: Sequence[str]) -> int:
    """What `dd0c-cost price ...` does, with only the price sub-command registered."""
    parser = argparse.ArgumentParser(prog="dd0c-cost")
    price.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["price", *argv])
    code: int = args.func(args)
    return code


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["ec2", "m5.large", "--region", "us-east-1"],
            "m5.large  us-east-1  linux  $0.0960/h  ($70.08/month at 730 h)",
        ),
        (["ec2", "t3.medium", "--region", "us-east-1", "--os", "windows"], "$0.0600/h"),
        (
            ["rds", "db.m5.large", "--region", "us-east-1", "--engine", "postgres", "--multi-az"],
            "db.m5.large  us-east-1  postgres  multi-az  $0.3560/h",
        ),
        (
            ["lambda-provisioned", "--region", "us-east-1", "--arch", "arm64"]
            + ["--memory-mb", "1024", "--concurrency", "1"],
            "$0.0120/h",
        ),
        (["lambda", "requests", "--region", "us-east-1"], "($0.20 per million)"),
        (["ebs", "gp3", "--region", "us-east-1"], "gp3  us-east-1  $0.0800/GB-month"),
        (["eks", "--region", "us-east-1", "--extended-support"], "$0.6000/h"),
        (["elb", "--kind", "gateway", "--region", "us-east-1"], "$0.0125/h"),
        (
            ["elasticache", "cache.m6g.large", "--region", "us-east-1", "--engine", "valkey"],
            "$0.1192/h",
        ),
        (["redshift", "ra3.4xlarge", "--region", "us-east-1"], "$3.2600/h"),
        (["opensearch", "r7g.16xlarge.search", "--region", "us-west-2"], "$5.6890/h"),
        (["sagemaker", "ml.m5.large", "--region", "us-east-1"], "Studio-notebook rate"),
        (["nat-gateway", "--region", "us-east-1"], "$0.0450/h"),
        (["public-ipv4", "--region", "us-east-1", "--idle"], "$0.0050/h"),
    ],
)
def test_text_output(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert expected in out


def test_unknown_price_goes_to_stderr_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["ec2", "p9.huge", "--region", "us-east-1"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no EC2 price for p9.huge in us-east-1: unknown instance type" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["ec2", "--region", "us-east-1"],
        ["ec2", "m5.large"],
        ["rds", "db.m5.large", "--region", "us-east-1"],
        [],
    ],
)
def test_incomplete_query_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    assert "dd0c-cost price:" in capsys.readouterr().err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["rds", "db.m5.large", "--region", "us-east-1", "--engine", "postgres", "--json"]
    assert run(argv) == 0
    answer = orjson.loads(capsys.readouterr().out)
    assert answer["service"] == "rds" and answer["size"] == "db.m5.large"
    assert answer["engine"] == "postgres" and "multiAz" not in answer
    assert answer["usdPerHour"] == 0.178 and answer["unit"] == "hour"
    assert answer["reason"] is None


def test_json_for_a_per_gb_month_unit(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["ebs", "gp3", "--region", "us-east-1", "--json"]) == 0
    answer = orjson.loads(capsys.readouterr().out)
    assert answer["usdPerHour"] is None
    assert (answer["usd"], answer["unit"]) == (0.08, "gb-month")


def test_json_for_an_unknown_price(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["ec2", "m5.large", "--region", "us-east-9", "--json"]) == 1
    captured = capsys.readouterr()
    answer = orjson.loads(captured.out)
    assert answer["usdPerHour"] is None and answer["reason"] == "unknown region 'us-east-9'"
    assert "unknown region" in captured.err


def _stdin(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))


def _answers(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]


GOOD = [
    '{"service": "ec2", "size": "m5.large", "region": "us-east-1", "os": "linux"}',
    '{"service": "rds", "size": "db.m5.large", "region": "us-east-1", "engine": "postgres", '
    '"multiAz": true}',
    '{"service": "lambda-provisioned", "region": "us-east-1", "arch": "arm64", "memoryMb": 2048, '
    '"concurrency": 2}',
    '{"service": "ebs", "size": "gp2", "region": "us-east-1"}',
    '{"service": "ec2", "size": "p9.huge", "region": "us-east-1"}',
]


def test_stdin_answers_every_line_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, [*GOOD, ""])
    assert run(["--stdin"]) == 0
    answers = _answers(capsys)
    assert len(answers) == len(GOOD)
    assert answers[0]["usdPerHour"] == 0.096 and answers[0]["size"] == "m5.large"
    assert answers[1]["usdPerHour"] == 0.356 and answers[1]["multiAz"] is True
    assert answers[2]["usdPerHour"] == pytest.approx(2 * 2 * 3600 * 0.0000033334)
    assert answers[3]["usdPerHour"] is None and answers[3]["usd"] == 0.1
    assert answers[4]["usdPerHour"] is None
    assert "unknown instance type" in str(answers[4]["reason"])


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("this is not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"service": "ec2", "size": "m5.large"}', "region"),
        ('{"service": "warp-drive", "region": "us-east-1"}', "service"),
        ('{"service": "rds", "size": "db.m5.large", "region": "us-east-1"}', "rds needs engine"),
        (
            '{"service": "rds", "size": "db.m5.large", "region": "us-east-1", "engine": "mysql", '
            '"multiAz": "yes"}',
            "multiAz",
        ),
        ('{"service": "ec2", "size": "m5.large", "region": "us-east-1", "sizee": 1}', "sizee"),
    ],
)
def test_stdin_malformed_line_gets_an_answer_and_exit_2(
    line: str, fragment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, [GOOD[0], line, GOOD[3]])
    assert run(["--stdin"]) == 2
    answers = _answers(capsys)
    assert len(answers) == 3
    assert answers[0]["usdPerHour"] == 0.096 and answers[2]["usd"] == 0.1
    assert answers[1]["usdPerHour"] is None
    assert fragment in str(answers[1]["reason"])
