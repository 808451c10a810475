"""The SQS consumer: a few long-poll loops on one FIFO queue, driving the per-event pipeline.

Each poller receives a batch, hands it to `ingest._batch` (groups concurrently, each group in
order, then settle) and only then polls again, so at most `pollers × batch_size` messages are
in flight. `stop()` starts no new poll and lets the batches being processed finish and settle.
A long poll already waiting is not cancelled: SQS may have picked messages for it, and a
cancelled request would leave them hidden until the visibility timeout with one more receive
counted (repeated restarts would push healthy messages toward the DLQ). It ends by itself within
`wait_seconds`; whatever it brings is made visible again at once (ChangeMessageVisibilityBatch
to 0), unprocessed. So `run()` returns within `wait_seconds` (+ `STOP_SLACK`) plus the batches
in flight; only a poll still open after that is cancelled, as a last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest._batch import BatchSettings, ConsumerStats, process_batch, release
from ingest.messages import Handler, Message

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import MessageTypeDef

__all__ = ["Consumer", "ConsumerConfig", "ConsumerStats"]

logger = logging.getLogger(__name__)

MAX_VISIBILITY_TIMEOUT = 43_200
STOP_SLACK = 3.0
"""Seconds past `wait_seconds` that a stop waits for a long poll's answer before cancelling it."""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """How one consumer polls its queue."""

    queue_url: str
    pollers: int = 2
    batch_size: int = 10
    wait_seconds: int = 20
    visibility_timeout: int = 60
    heartbeat_every: float | None = None
    error_backoff: float = 1.0
    max_error_backoff: float = 20.0

    def __post_init__(self) -> None:
        checks = {
            "pollers must be at least 1": self.pollers >= 1,
            "batch_size must be 1 to 10": 1 <= self.batch_size <= 10,
            "wait_seconds must be 0 to 20": 0 <= self.wait_seconds <= 20,
            "visibility_timeout must be 1 to 43200": (
                1 <= self.visibility_timeout <= MAX_VISIBILITY_TIMEOUT
            ),
            "heartbeat_every must be above 0 and below visibility_timeout": (
                0 < self.heartbeat_interval < self.visibility_timeout
            ),
            "error backoffs must be above 0": min(self.error_backoff, self.max_error_backoff) > 0,
        }
        problems = [problem for problem, ok in checks.items() if not ok]
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between visibility extensions: `heartbeat_every`, or a third of the timeout."""
        if self.heartbeat_every is not None:
            return self.heartbeat_every
        return self.visibility_timeout / 3


class Consumer:
    """Long-polls one SQS queue with `pollers` loops and settles what the handler decides."""

    def __init__(self, sqs: SQSClient, handler: Handler, config: ConsumerConfig) -> None:
        self.stats = ConsumerStats()
        self._sqs = sqs
        self._handler = handler
        self._config = config
        self._batch = BatchSettings(
            queue_url=config.queue_url,
            visibility_timeout=config.visibility_timeout,
            heartbeat_every=config.heartbeat_interval,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested = False
        self._stopping = asyncio.Event()
        self._receives: set[asyncio.Task[list[Message]]] = set()
        # Received after stop(): handed back once every poll has ended, so that a poll still
        # waiting cannot pick them up again.
        self._unprocessed: list[Message] = []

    async def run(self) -> None:
        """Poll until `stop()`; return once every batch in flight has been settled."""
        if self._loop is not None:
            raise RuntimeError("a Consumer runs once")
        self._loop = asyncio.get_running_loop()
        if self._stop_requested:
            self._stopping.set()
        logger.info(
            "consumer started",
            extra={"queue_url": self._config.queue_url, "pollers": self._config.pollers},
        )
        async with asyncio.TaskGroup() as pollers:
            for number in range(self._config.pollers):
                pollers.create_task(self._poll(), name=f"sqs-poller-{number}")
        if self._unprocessed:
            await release(self._sqs, self._config.queue_url, self.stats, self._unprocessed)
        logger.info("consumer stopped", extra={"queue_url": self._config.queue_url})

    def stop(self) -> None:
        """Stop polling and let in-flight batches finish; idempotent, safe in a signal handler."""
        self._stop_requested = True
        if self._loop is None:
            return
        # call_soon_threadsafe only appends to a deque and wakes the loop: fine from a signal
        # handler or another thread, and cancelling tasks must happen on the loop itself.
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self._loop.call_soon_threadsafe(self._interrupt)

    async def ping(self) -> None:
        """Check that the queue answers (GetQueueAttributes); raises the SDK's error if not."""
        await self._sqs.get_queue_attributes(
            QueueUrl=self._config.queue_url, AttributeNames=["QueueArn"]
        )

    def _interrupt(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        assert self._loop is not None
        self._loop.call_later(self._config.wait_seconds + STOP_SLACK, self._abandon_receives)

    def _abandon_receives(self) -> None:
        """Last resort: cancel long polls that outlived their own wait (a hung connection)."""
        for receive in self._receives:
            logger.warning(
                "long poll still open %.0f s after stop: cancelled",
                self._config.wait_seconds + STOP_SLACK,
                extra={"queue_url": self._config.queue_url},
            )
            receive.cancel()

    async def _gate_closed(self) -> bool:
        """Ask the handler's optional `ready()`; a closed gate pauses receiving (see Gate)."""
        ready = getattr(self._handler, "ready", None)
        if ready is None:
            return False
        try:
            is_ready = bool(await ready())
        except Exception:
            logger.exception("handler readiness check failed")
            is_ready = False
        if not is_ready:
            self.stats.paused += 1
        return not is_ready

    async def _poll(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            if await self._gate_closed():
                failures += 1
                await self._pause(failures)
                continue
            try:
                messages = await self._receive_unless_stopped()
            except Exception as error:
                failures += 1
                await self._back_off(failures, error)
                continue
            failures = 0
            if messages and self._stopping.is_set():
                self.stats.received += len(messages)
                self._unprocessed.extend(messages)
            elif messages:
                self.stats.received += len(messages)
                self.stats.in_flight += len(messages)
                await process_batch(self._sqs, self._handler, self._batch, self.stats, messages)

    async def _receive_unless_stopped(self) -> list[Message]:
        """Receive one batch; a poll cancelled after a stop (last resort) returns no messages.

        Whatever such a poll might have received stays hidden until the visibility timeout.
        """
        receive = asyncio.create_task(self._receive())
        self._receives.add(receive)
        try:
            return await receive
        except asyncio.CancelledError:
            this = asyncio.current_task()
            if self._stopping.is_set() and this is not None and not this.cancelling():
                return []
            raise
        finally:
            self._receives.discard(receive)

    async def _receive(self) -> list[Message]:
        response = await self._sqs.receive_message(
            QueueUrl=self._config.queue_url,
            MaxNumberOfMessages=self._config.batch_size,
            WaitTimeSeconds=self._config.wait_seconds,
            VisibilityTimeout=self._config.visibility_timeout,
            MessageSystemAttributeNames=["All"],
        )
        return [_to_message(raw) for raw in response.get("Messages", [])]

    def _delay(self, failures: int) -> float:
        ceiling = self._config.error_backoff * 2 ** min(failures - 1, 16)
        return random.uniform(0.5, 1.0) * min(ceiling, self._config.max_error_backoff)

    async def _pause(self, failures: int) -> None:
        """Wait (interruptibly) before asking the handler again."""
        delay = self._delay(failures)
        logger.warning(
            "handler not ready: not receiving for %.2f s",
            delay,
            extra={"queue_url": self._config.queue_url, "failures": failures},
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _back_off(self, failures: int, error: Exception) -> None:
        self.stats.receive_errors += 1
        delay = self._delay(failures)
        logger.warning(
            "ReceiveMessage failed (%s: %s); retrying in %.2f s",
            type(error).__name__,
            error,
            delay,
            extra={"queue_url": self._config.queue_url, "failures": failures},
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)


def _to_message(raw: MessageTypeDef) -> Message:
    attributes = raw.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    return Message(
        message_id=raw["MessageId"],
        receipt_handle=raw["ReceiptHandle"],
        body=raw.get("Body", ""),
        group_id=attributes.get("MessageGroupId"),
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        sent_at_ms=int(sent) if sent else None,
    )
