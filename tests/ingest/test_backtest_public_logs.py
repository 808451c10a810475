"""Backtest behaviour found by running public CloudTrail collections (issue 13): a $0 change is not
starting spend, a broken pretty-printed file is one unreadable file, and the header shows the
time range of the records read even when none of them is a cost event."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main
from ingest.backtest import run_backtest
from ingest.logfiles import BadInput
from pricing import load_catalogue
from tests.fixtures import CLOUDTRAIL

LAYER_UPDATE = CLOUDTRAIL / "lambda" / "update_function_configuration_federated_user.json"
CONSOLE_LOGIN = CLOUDTRAIL / "other" / "console_login_iam_user.json"
PRETTY = CLOUDTRAIL / "rds" / "create_db_instance_awsdocs.json"


def test_a_zero_dollar_change_is_neither_starting_spend_nor_priced() -> None:
    summary = run_backtest([LAYER_UPDATE], load_catalogue()).summary()
    assert summary["costEvents"] == 1
    assert summary["startingSpend"] == 0
    assert summary["priced"] == 0


def test_a_broken_pretty_printed_file_is_one_unreadable_file(tmp_path: Path) -> None:
    text = PRETTY.read_text()
    broken_line = next(
        n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(",")
    )
    lines = text.splitlines()
    lines[broken_line - 1] = lines[broken_line - 1].rstrip()[:-1]  # drop one comma
    broken = tmp_path / "broken.json"
    broken.write_text("\n".join(lines) + "\n")
    result = run_backtest([broken, LAYER_UPDATE], load_catalogue())
    summary = result.summary()
    assert summary["unreadable"] == 1
    assert summary["malformed"] == 0
    assert summary["costEvents"] == 1
    [bad] = result.collected.bad
    assert isinstance(bad, BadInput)
    assert bad.source == str(broken)
    assert f"line {broken_line + 1}" in bad.reason


def test_header_shows_the_records_time_range_without_cost_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["backtest", str(CONSOLE_LOGIN)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "- → -" not in header
    assert "2014-07-16T15:49:27Z → 2014-07-16T15:49:27Z" in header
