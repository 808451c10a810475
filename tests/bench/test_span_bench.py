"""The span benchmark runs and prints its figures (no timing is asserted)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.scenario_bench import generate
from bench.span_bench import report


@pytest.mark.slow
def test_the_span_bench_prints_both_rates_and_the_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(tmp_path, days=3, accounts=1, seed=1)
    report([str(tmp_path / "AWSLogs")], repeat=1)
    out = capsys.readouterr().out
    assert "spans off: " in out and "spans on: " in out and "ratio on/off time: " in out
    exported = re.search(r"([\d,]+) bytes exported", out)
    assert exported is not None and int(exported.group(1).replace(",", "")) > 0
