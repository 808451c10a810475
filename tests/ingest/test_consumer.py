"""The SQS consumer against moto's server: settling, FIFO order, redrive, heartbeat, stopping."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aioboto3
import pytest
from botocore.exceptions import ClientError

from ingest._batch import BatchSettings, ConsumerStats, process_batch
from ingest.consumer import STOP_SLACK, Consumer, ConsumerConfig
from ingest.messages import Message, Outcome, Result
from tests.aws import (
    QueueUrls,
    counts,
    create_queues,
    eventually,
    send,
    sqs_client,
    unique_name,
)

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

Step = Outcome | BaseException


class Crash(BaseException):
    """Stands in for the process dying in the middle of a message."""


@dataclass
class FakeHandler:
    """Records every call; per body, a script of outcomes or exceptions (then DONE) and a delay."""

    script: dict[str, list[Step]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    default_delay: float = 0.0
    calls: list[Message] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    active: Counter[str | None] = field(default_factory=Counter)
    most_active: int = 0
    most_active_in_a_group: int = 0

    async def handle(self, message: Message) -> Result:
        """Follow the script for this body."""
        self.calls.append(message)
        self.active[message.group_id] += 1
        self.most_active = max(self.most_active, sum(self.active.values()))
        self.most_active_in_a_group = max(self.most_active_in_a_group, *self.active.values())
        try:
            await asyncio.sleep(self.delays.get(message.body, self.default_delay))
            steps = self.script.get(message.body, [])
            step = steps.pop(0) if steps else Outcome.DONE
            if isinstance(step, BaseException):
                raise step
            self.finished.append(message.body)
            return Result(step, reason=f"scripted {step.value}")
        finally:
            self.active[message.group_id] -= 1

    def bodies(self, group: str | None = None) -> list[str]:
        """Bodies handled so far, in call order, optionally of one group."""
        return [m.body for m in self.calls if group is None or m.group_id == group]


def config(queue_url: str, **changes: Any) -> ConsumerConfig:
    """A consumer config for tests: short polls and timeouts unless a test says otherwise."""
    settings: dict[str, Any] = {"wait_seconds": 1, "visibility_timeout": 2, **changes}
    return ConsumerConfig(queue_url=queue_url, **settings)


@asynccontextmanager
async def running(
    consumer: Consumer, stop_within: float = 10.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Run the consumer in a task; on exit, stop it and require run() to return in time."""
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        consumer.stop()
        await asyncio.wait_for(task, stop_within)


async def queues(sqs: SQSClient, **kwargs: Any) -> QueueUrls:
    """A fresh FIFO queue and DLQ for one test."""
    return await create_queues(sqs, unique_name("consumer"), **kwargs)


async def send_all(sqs: SQSClient, queue_url: str, messages: list[tuple[str, str]]) -> None:
    """Send (group, body) pairs in order; the body doubles as the deduplication id."""
    for group, body in messages:
        await send(sqs, queue_url, body, group=group, dedup=body)


async def holds(sqs: SQSClient, queue_url: str, number: int) -> bool:
    """Whether the queue holds `number` messages, visible or in flight."""
    return sum(await counts(sqs, queue_url)) == number


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_handles_and_deletes_every_message(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    sent = [(f"g{n % 3}", f"m{n}") for n in range(12)]
    await send_all(sqs, urls.queue_url, sent)
    handler = FakeHandler()
    consumer = Consumer(sqs, handler, config(urls.queue_url))

    async with running(consumer):
        await eventually(lambda: consumer.stats.deleted == 12, what="12 deletes")

    assert sorted(handler.bodies()) == sorted(body for _, body in sent)
    assert await counts(sqs, urls.queue_url) == (0, 0)
    first = next(m for m in handler.calls if m.body == "m0")
    assert (first.group_id, first.receive_count) == ("g0", 1)
    assert first.sent_at_ms is not None and abs(first.sent_at_ms / 1000 - time.time()) < 60
    stats = consumer.stats
    assert (stats.received, stats.done, stats.deleted, stats.in_flight) == (12, 12, 12, 0)
    assert (stats.retried, stats.poison, stats.delete_failures, stats.receive_errors) == (0,) * 4


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_keeps_order_within_a_group_and_runs_groups_concurrently(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    sent = [(group, f"{group}-{n:02}") for n in range(15) for group in ("a", "b", "c")]
    await send_all(sqs, urls.queue_url, sent)
    handler = FakeHandler(default_delay=0.02)
    consumer = Consumer(sqs, handler, config(urls.queue_url))

    async with running(consumer):
        await eventually(lambda: consumer.stats.deleted == len(sent), what="all deleted")

    for group in ("a", "b", "c"):
        assert handler.bodies(group) == [body for g, body in sent if g == group]
    assert handler.most_active_in_a_group == 1
    assert handler.most_active > 1
    assert await counts(sqs, urls.queue_url) == (0, 0)


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_retry_holds_back_its_group_while_other_groups_go_on(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    sent = [("A", "a1"), ("A", "a2"), ("A", "a3"), ("B", "b1"), ("B", "b2")]
    await send_all(sqs, urls.queue_url, sent)
    handler = FakeHandler(script={"a2": [Outcome.RETRY]})
    consumer = Consumer(sqs, handler, config(urls.queue_url, visibility_timeout=2, pollers=1))

    async with running(consumer):
        await eventually(lambda: consumer.stats.deleted == 3, what="a1, b1 and b2 deleted")
        # a3 came in the same batch but was not handled; neither it nor a2 was deleted.
        assert handler.bodies("A") == ["a1", "a2"]
        assert handler.bodies("B") == ["b1", "b2"]
        assert sum(await counts(sqs, urls.queue_url)) == 2
        assert (consumer.stats.retried, consumer.stats.held_back) == (1, 1)
        await eventually(lambda: consumer.stats.deleted == 5, what="a2 and a3 redelivered")

    assert handler.bodies("A") == ["a1", "a2", "a2", "a3"]
    assert handler.bodies("B") == ["b1", "b2"]
    assert [m.receive_count for m in handler.calls if m.body in ("a2", "a3")] == [1, 2, 2]
    assert await counts(sqs, urls.queue_url) == (0, 0)


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_poison_goes_to_the_dlq_after_three_receives_without_blocking_its_group(
    sqs: SQSClient,
) -> None:
    urls = await queues(sqs, max_receive_count=3)
    await send_all(sqs, urls.queue_url, [("A", "bad"), ("A", "a2"), ("A", "a3")])
    handler = FakeHandler(script={"bad": [Outcome.POISON] * 5})
    # A long visibility timeout: "bad" comes back at once because it is let go, not by timeout.
    consumer = Consumer(sqs, handler, config(urls.queue_url, visibility_timeout=30))

    async with running(consumer):
        await eventually(lambda: holds(sqs, urls.dlq_url, 1), what="the DLQ holds a message")

    assert handler.bodies("A") == ["bad", "a2", "a3", "bad", "bad"]
    assert [m.receive_count for m in handler.calls if m.body == "bad"] == [1, 2, 3]
    dead = await sqs.receive_message(QueueUrl=urls.dlq_url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in dead["Messages"]] == ["bad"]
    assert await counts(sqs, urls.queue_url) == (0, 0)
    assert (consumer.stats.poison, consumer.stats.done, consumer.stats.deleted) == (3, 2, 2)


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_an_exception_counts_as_retry_and_is_logged_once_without_the_body(
    sqs: SQSClient, caplog: pytest.LogCaptureFixture
) -> None:
    urls = await queues(sqs)
    await send_all(sqs, urls.queue_url, [("A", "secret-x"), ("A", "x2"), ("B", "y")])
    handler = FakeHandler(script={"secret-x": [RuntimeError("mongo is down")]})
    consumer = Consumer(sqs, handler, config(urls.queue_url, visibility_timeout=1))

    with caplog.at_level(logging.INFO, logger="ingest"):
        async with running(consumer) as task:
            await eventually(lambda: consumer.stats.deleted == 3, what="all deleted")
            assert not task.done()

    assert handler.bodies("A") == ["secret-x", "secret-x", "x2"]
    assert handler.bodies("B") == ["y"]
    assert (consumer.stats.retried, consumer.stats.done) == (1, 3)
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 1
    first = handler.calls[0]
    assert getattr(failures[0], "message_id", None) == first.message_id
    assert getattr(failures[0], "group_id", None) == "A"
    assert "secret-x" not in caplog.text
    assert await counts(sqs, urls.queue_url) == (0, 0)


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_a_base_exception_is_not_swallowed(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    await send_all(sqs, urls.queue_url, [("A", "boom"), ("B", "fine")])
    handler = FakeHandler(script={"boom": [Crash()]}, delays={"fine": 0.2})
    consumer = Consumer(sqs, handler, config(urls.queue_url, visibility_timeout=30))

    with pytest.raises(BaseExceptionGroup) as raised:
        await asyncio.wait_for(consumer.run(), 10)

    assert raised.value.subgroup(Crash) is not None
    assert consumer.stats.deleted == 0
    assert await counts(sqs, urls.queue_url) == (0, 2)


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_heartbeat_keeps_a_slow_message_from_a_second_consumer(
    sqs: SQSClient,
) -> None:
    urls = await queues(sqs)
    await send(sqs, urls.queue_url, "slow", group="A", dedup="slow")
    slow = FakeHandler(delays={"slow": 3.5})
    other = FakeHandler()
    first = Consumer(sqs, slow, config(urls.queue_url, visibility_timeout=2, pollers=1))
    second = Consumer(sqs, other, config(urls.queue_url, visibility_timeout=2))

    started = time.monotonic()
    async with running(first):
        await eventually(lambda: slow.calls != [], what="the first consumer has the message")
        async with running(second):
            await eventually(lambda: first.stats.deleted == 1, what="the slow message deleted")
            took = time.monotonic() - started

    assert took > 3.5 > 2  # the work outlived the visibility timeout...
    assert other.calls == []  # ...yet the second consumer never saw the message
    assert slow.bodies() == ["slow"]
    assert await counts(sqs, urls.queue_url) == (0, 0)


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_stop_while_idle_returns_within_the_long_poll(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    consumer = Consumer(sqs, FakeHandler(), config(urls.queue_url, wait_seconds=2))
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.3)  # both pollers are now waiting in a 2 s long poll

    stopping = time.monotonic()
    consumer.stop()
    consumer.stop()
    await asyncio.wait_for(task, 2 + STOP_SLACK)

    assert time.monotonic() - stopping < 2 + STOP_SLACK
    assert consumer.stats.receive_errors == 0


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_stop_during_a_long_poll_loses_no_message(sqs: SQSClient) -> None:
    urls = await queues(sqs, visibility_timeout=60)
    handler = FakeHandler()
    wait = 3
    consumer = Consumer(sqs, handler, config(urls.queue_url, wait_seconds=wait, pollers=2))
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.5)  # both pollers are waiting in a long poll
    stopping = time.monotonic()
    consumer.stop()
    # Messages arrive while the polls still wait: SQS hands them to those polls.
    await send_all(sqs, urls.queue_url, [("A", "a1"), ("A", "a2"), ("B", "b1")])
    await asyncio.wait_for(task, wait + STOP_SLACK)
    took = time.monotonic() - stopping

    assert took < wait + STOP_SLACK  # the bound on a stop (SIGTERM) while idle
    assert handler.calls == []  # nothing was processed after the stop...
    # The waiting polls took some of them (which depends on timing) and handed them back.
    assert 1 <= consumer.stats.received == consumer.stats.released <= 3
    assert await counts(sqs, urls.queue_url) == (3, 0)  # visible now, not in 60 s
    again = await sqs.receive_message(
        QueueUrl=urls.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )
    receives = {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in again["Messages"]}
    # At most one receive by the stopping consumer (the poll that was waiting), then ours.
    assert sorted(receives) == ["a1", "a2", "b1"] and set(receives.values()) <= {"1", "2"}


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_stop_before_run_returns_at_once(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    consumer = Consumer(sqs, FakeHandler(), config(urls.queue_url, wait_seconds=20))
    consumer.stop()
    await asyncio.wait_for(consumer.run(), 1)
    assert consumer.stats.received == 0


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_stop_while_processing_finishes_and_deletes_the_batch(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    await send_all(sqs, urls.queue_url, [("A", "a1"), ("A", "a2"), ("B", "b1")])
    handler = FakeHandler(default_delay=0.5)
    consumer = Consumer(sqs, handler, config(urls.queue_url, pollers=1, wait_seconds=20))

    async with running(consumer) as task:
        await eventually(lambda: len(handler.calls) == 2, what="a1 and b1 started")
        consumer.stop()
        await asyncio.wait_for(task, 5)
        assert consumer.stats.in_flight == 0

    assert sorted(handler.finished) == ["a1", "a2", "b1"]
    assert consumer.stats.deleted == 3
    assert await counts(sqs, urls.queue_url) == (0, 0)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_receive_errors_are_counted_and_the_consumer_recovers(
    sqs: SQSClient, moto_endpoint: str
) -> None:
    name = unique_name("consumer")
    missing = f"{moto_endpoint}/123456789012/{name}.fifo"
    handler = FakeHandler()
    consumer = Consumer(sqs, handler, config(missing, error_backoff=0.01, max_error_backoff=0.05))

    async with running(consumer) as task:
        await eventually(lambda: consumer.stats.receive_errors >= 3, what="3 receive errors")
        assert not task.done()
        urls = await create_queues(sqs, name)
        assert urls.queue_url == missing
        await send(sqs, urls.queue_url, "late", group="A", dedup="late")
        await eventually(lambda: consumer.stats.deleted == 1, what="the late message deleted")

    assert handler.bodies() == ["late"]


async def test_an_unreachable_endpoint_is_retried_until_stopped() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    url = f"{endpoint}/123456789012/nowhere.fifo"
    async with sqs_client(
        aioboto3.Session(), endpoint, retries={"total_max_attempts": 1}
    ) as client:
        consumer = Consumer(client, FakeHandler(), config(url, error_backoff=0.01))
        async with running(consumer, stop_within=2) as task:
            await eventually(lambda: consumer.stats.receive_errors >= 3, what="3 errors")
            assert not task.done()
        with pytest.raises(Exception, match="Could not connect"):
            await consumer.ping()


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_stop_interrupts_the_error_backoff(sqs: SQSClient, moto_endpoint: str) -> None:
    missing = f"{moto_endpoint}/123456789012/{unique_name('consumer')}.fifo"
    consumer = Consumer(sqs, FakeHandler(), config(missing, error_backoff=30))

    async with running(consumer, stop_within=1):
        await eventually(lambda: consumer.stats.receive_errors == 2, what="one error per poller")


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_ping(sqs: SQSClient, moto_endpoint: str) -> None:
    urls = await queues(sqs)
    await Consumer(sqs, FakeHandler(), config(urls.queue_url)).ping()

    missing = Consumer(sqs, FakeHandler(), config(f"{moto_endpoint}/123456789012/nope.fifo"))
    with pytest.raises(ClientError, match="does not exist"):
        await missing.ping()


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_in_flight_messages_are_bounded_by_pollers_times_batch_size(
    sqs: SQSClient,
) -> None:
    urls = await queues(sqs)
    await send_all(sqs, urls.queue_url, [(f"g{n}", f"m{n}") for n in range(20)])
    handler = FakeHandler(default_delay=0.1)
    consumer = Consumer(sqs, handler, config(urls.queue_url, pollers=2, batch_size=3))
    seen: list[int] = []

    def all_deleted() -> bool:
        seen.append(consumer.stats.in_flight)
        return consumer.stats.deleted == 20

    async with running(consumer):
        await eventually(all_deleted, interval=0.01, what="all deleted")

    assert max(seen) <= 6 and handler.most_active <= 6
    assert handler.most_active > 3  # both pollers did work at the same time


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_failed_delete_and_visibility_entries_are_counted(sqs: SQSClient) -> None:
    urls = await queues(sqs)
    stale = Message(message_id="m-1", receipt_handle="not-a-receipt-handle", body="x")
    stats = ConsumerStats(in_flight=1)
    settings = BatchSettings(urls.queue_url, visibility_timeout=2, heartbeat_every=0.1)

    await process_batch(sqs, FakeHandler(delays={"x": 0.35}), settings, stats, [stale])

    assert (stats.done, stats.deleted, stats.delete_failures, stats.in_flight) == (1, 0, 1, 0)
    assert stats.visibility_failures >= 2  # the heartbeat could not extend it either


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"pollers": 0}, "pollers"),
        ({"batch_size": 11}, "batch_size"),
        ({"wait_seconds": 21}, "wait_seconds"),
        ({"visibility_timeout": 0}, "visibility_timeout"),
        ({"visibility_timeout": 10, "heartbeat_every": 10}, "heartbeat_every"),
        ({"error_backoff": 0}, "backoff"),
    ],
)
def test_config_rejects_values_sqs_or_the_heartbeat_cannot_use(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        ConsumerConfig(queue_url="https://example.invalid/q.fifo", **changes)


def test_heartbeat_defaults_to_a_third_of_the_visibility_timeout() -> None:
    assert ConsumerConfig(queue_url="q", visibility_timeout=60).heartbeat_interval == 20
    assert ConsumerConfig(queue_url="q", heartbeat_every=5).heartbeat_interval == 5


@dataclass
class GatedHandler(FakeHandler):
    """A handler whose dependency is down until `up` is set (the Gate protocol)."""

    up: bool = False
    asked: int = 0

    async def ready(self) -> bool:
        """Whether the (pretend) store is reachable."""
        self.asked += 1
        return self.up


@pytest.mark.slow  # moto's SQS with real long polls and timers
async def test_a_closed_gate_stops_receiving_so_receive_counts_do_not_climb(
    sqs: SQSClient,
) -> None:
    urls = await queues(sqs)
    await send_all(sqs, urls.queue_url, [("g", "m1"), ("g", "m2")])
    handler = GatedHandler()
    consumer = Consumer(sqs, handler, config(urls.queue_url, error_backoff=0.05))
    async with running(consumer):
        await eventually(lambda: handler.asked >= 5, what="the gate asked repeatedly")
        assert handler.calls == [] and consumer.stats.received == 0
        assert await counts(sqs, urls.queue_url) == (2, 0)  # still visible, never received
        handler.up = True
        await eventually(lambda: consumer.stats.deleted == 2, what="both handled once up")
    assert [(m.body, m.receive_count) for m in handler.calls] == [("m1", 1), ("m2", 1)]
    assert consumer.stats.paused >= 5
