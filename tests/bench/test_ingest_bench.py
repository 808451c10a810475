"""The ingestion benchmark at a tiny size: every count adds up (no timing thresholds).

Each measurement runs against moto's server and against the benchmark's own lean SQS peer, each
in its own process. moto's SQS costs O(queue depth) per call, so its backlog is smaller.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from bench import ingest_bench as bench
from bench import sqs_peer
from tests.aws import moto_process

POLLERS = 2
LIMIT = POLLERS * bench.BATCH
BACKLOG = {"moto": (300, 200), "lean": (1_000, 600)}  # (messages loaded, messages to process)


@pytest.fixture(scope="module", params=["moto", "lean"])
def peer(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(kind, endpoint) of an SQS peer in its own process, shared by this module's tests."""
    kind = str(request.param)
    with moto_process() if kind == "moto" else sqs_peer.lean_sqs_process() as endpoint:
        yield kind, endpoint


@pytest.mark.slow
async def test_throughput_drains_every_message(peer: tuple[str, str]) -> None:
    result = await bench.measure_throughput(peer[1], messages=200, pollers=POLLERS)

    full, stats = result.full, result.pipeline
    assert (result.sent, full.messages, full.left, full.consumer.deleted) == (200, 200, 0, 200)
    assert (full.consumer.poison, full.consumer.retried, full.consumer.receive_errors) == (0, 0, 0)
    assert stats.messages == 200 and stats.events + stats.ignored == 200
    assert stats.events == result.stored_events > 0
    assert (stats.poison, stats.unrouted) == (0, 0)
    assert (result.ceiling.messages, result.ceiling.left) == (200, 0)
    assert 0 < full.in_flight_max <= LIMIT and 0 < result.ceiling.in_flight_max <= LIMIT
    assert full.seconds > 0 and full.marks[-1][0] == 200
    assert "200 of 200 messages" in bench.throughput_lines(result, POLLERS)[0]


@pytest.mark.slow
async def test_latency_finds_every_launch_anomaly(peer: tuple[str, str]) -> None:
    result = await bench.measure_latency(peer[1], rate=10, seconds=3, pollers=POLLERS)

    assert result.sent == 30 and len(result.launches) == 30 // bench.LAUNCH_EVERY
    assert result.missing == []
    assert len(result.latencies_ms) == len(result.launches)
    assert all(ms >= 0 for ms in result.latencies_ms)
    assert result.left == 0 and result.consumer.deleted == result.pipeline.messages == 30
    assert result.pipeline.anomalies >= len(result.launches)
    assert 0 < result.in_flight_max <= LIMIT
    assert not math.isnan(result.figure(0.99))
    assert "missing 0" in bench.latency_lines(result, POLLERS)[0]


@pytest.mark.slow
async def test_backlog_memory_run_keeps_in_flight_bounded(peer: tuple[str, str]) -> None:
    backlog, target = BACKLOG[peer[0]]
    result = await bench.measure_backlog(peer[1], backlog=backlog, process=target, pollers=POLLERS)

    rss = result.rss
    assert rss.target == target <= rss.processed
    assert result.left == backlog - rss.processed
    assert (rss.consumer.poison, rss.consumer.retried, rss.consumer.receive_errors) == (0, 0, 0)
    assert 0 < rss.in_flight_max <= LIMIT
    marks = [target * k // 3 for k in (1, 2, 3)]
    assert len(rss.checkpoints) == 3
    assert all(done >= mark for (done, _, _), mark in zip(rss.checkpoints, marks, strict=True))
    assert 0 < rss.start_kib <= rss.peak_kib
    assert rss.documents > 0 and rss.store_kib > 0
    assert len(bench.backlog_lines(result, POLLERS)) == 5


def test_lean_queue_locks_a_group_while_it_is_in_flight() -> None:
    dlq = sqs_peer.FifoQueue("q-dlq.fifo", "http://peer/q-dlq.fifo", {"FifoQueue": "true"})
    redrive = f'{{"deadLetterTargetArn": "{dlq.arn}", "maxReceiveCount": 2}}'
    queue = sqs_peer.FifoQueue("q.fifo", "http://peer/q.fifo", {"RedrivePolicy": redrive})
    queue.dlq = dlq
    for n, group in enumerate("aab"):
        queue.send(f"m{n}", group, f"d{n}")
    assert queue.send("again", "a", "d0")[2] == 1  # deduplicated: the first one's sequence

    first = queue.take(1, 30)
    assert [held.body for held, _ in first] == ["m0"]
    assert [held.body for held, _ in queue.take(10, 30)] == ["m2"]  # group a is locked
    assert queue.take(10, 30) == []

    queue.change_visibility(first[0][1], 0)  # let go: m0 comes back first, then m1
    again = queue.take(10, 30)
    assert [held.body for held, _ in again] == ["m0", "m1"]
    queue.delete(again[1][1])
    queue.change_visibility(again[0][1], 0)
    assert queue.take(10, 30) == []  # m0 had its 2 receives: moved to the DLQ
    assert [held.body for held, _ in dlq.take(10, 30)] == ["m0"]
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    assert queue.attribute_values(counts) == dict(zip(counts, ["0", "1"], strict=True))  # m2
