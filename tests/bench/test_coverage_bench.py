"""The coverage benchmark at a tiny size on moto: every region checked, every one a gap in a fresh
account, one printed line per concurrency value (no timing thresholds)."""

from __future__ import annotations

import pytest

from bench import coverage_bench


@pytest.mark.slow
async def test_a_fresh_account_is_all_gaps_and_each_run_is_printed(moto_endpoint: str) -> None:
    figures = await coverage_bench.measure(moto_endpoint, [1, 2], regions=3)
    assert [(f.concurrency, f.regions, f.gaps) for f in figures] == [(1, 3, 3), (2, 3, 3)]
    assert all(f.seconds > 0 for f in figures)
    printed = coverage_bench.lines(figures)
    assert printed[1].startswith("coverage check: 3 regions (3 without rules), 2 at a time: ")
