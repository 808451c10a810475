"""The archive-scale bench measures what the backtest reads (figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.backtest_bench import bare_parse, density, read_only, rss
from ingest.backtest import run_backtest
from ingest.logfiles import discover
from pricing import load_catalogue

SAMPLES = str(Path(__file__).parents[2] / "samples" / "AWSLogs")


def test_reading_alone_reads_every_record_the_backtest_reads() -> None:
    summary = run_backtest([SAMPLES], load_catalogue()).summary()
    files, _ = discover([SAMPLES])
    assert read_only([SAMPLES]) == summary["recordsRead"] == bare_parse(files)


def test_rss_prints_the_peak_and_what_was_held(capsys: pytest.CaptureFixture[str]) -> None:
    rss([SAMPLES])
    line = capsys.readouterr().out
    assert "peak RSS" in line and "late 0" in line


@pytest.mark.slow  # runs the scenario generator in two subprocesses
def test_density_prints_the_share_of_cost_events_and_the_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    density(1, ratios=(0.5, 0.75), days=1)
    lines = capsys.readouterr().out.splitlines()
    shares = [float(line.split("%")[0]) for line in lines]
    assert len(lines) == 2 and shares[0] > shares[1] > 0, lines
    assert all("bare parse" in line and line.endswith("x") for line in lines), lines
