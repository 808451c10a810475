"""The chaos test of the issue: 5,000 CloudTrail events through SQS with duplicates, crashes after
every pipeline step and two consumers; the result must equal one clean pass (bench/chaos.py)."""

from __future__ import annotations

import pytest

from bench import chaos
from ingest.steps import STEPS
from tests.aws import moto_process


@pytest.mark.slow
async def test_chaos_equals_a_clean_pass() -> None:
    with moto_process() as endpoint:
        report = await chaos.run(endpoint, events=5000, duplicates=0.2, seed=1)
    assert report.ok, "\n".join(report.lines())
    assert report.records == 5000 and report.cost_events > 3000
    assert report.duplicates_same_id + report.duplicates_late > 800
    assert set(report.crashes) == set(STEPS), report.crashes
    assert report.deaths > 0 and report.restarts == report.deaths
    assert report.redelivered > 0
    assert report.dlq == report.poison_sent == len(chaos.poison_bodies())
    assert sorted(report.dlq_bodies) == sorted(chaos.poison_bodies())
