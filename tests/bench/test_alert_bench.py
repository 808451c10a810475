"""The alert benchmark at a tiny size against the lean SQS peer, real Redis and the fake Slack:
every fast-path launch gets its card and a governance decision (no timing thresholds)."""

from __future__ import annotations

import pytest

from bench import alert_bench, sqs_peer

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.mark.slow  # the alert bench end to end: about 2.5 s
async def test_every_launch_is_decided_and_posted() -> None:
    with sqs_peer.lean_sqs_process() as endpoint:
        result = await alert_bench.measure(endpoint, rate=40, seconds=1, pollers=2)
    assert (result.sent, result.launches) == (40, 4)
    assert len(result.latencies_ms) == 4 and all(ms > 0 for ms in result.latencies_ms)
    assert result.decisions.get("governance.posted", 0) >= 4
    assert result.cards >= 4
    text = "\n".join(alert_bench.lines(result, 40))
    assert "over 4 of 4 fast-path launches" in text
