"""One received SQS batch: FIFO groups run concurrently, each group in order, then settle.

Settling a message means: DONE → deleted (one DeleteMessageBatch per group, when the group ends);
POISON → made visible at once so the redrive policy can move it to the DLQ; RETRY (or an
exception) → kept, and the group's later messages in this batch are not handled (FIFO order).
While the batch runs, a heartbeat keeps extending the visibility of its unsettled messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.messages import Handler, Message, Outcome

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import (
        BatchResultErrorEntryTypeDef,
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
    )

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ConsumerStats:
    """Running counters of one consumer; read them at any time."""

    received: int = 0
    done: int = 0
    poison: int = 0
    retried: int = 0
    held_back: int = 0
    deleted: int = 0
    delete_failures: int = 0
    visibility_failures: int = 0
    receive_errors: int = 0
    in_flight: int = 0
    paused: int = 0
    released: int = 0


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """What a batch needs to know about its queue."""

    queue_url: str
    visibility_timeout: int
    heartbeat_every: float


async def process_batch(
    sqs: SQSClient,
    handler: Handler,
    settings: BatchSettings,
    stats: ConsumerStats,
    messages: Sequence[Message],
) -> None:
    """Handle and settle one received batch; returns when every group has finished."""
    await _Batch(sqs, handler, settings, stats, messages).run()


async def release(
    sqs: SQSClient, queue_url: str, stats: ConsumerStats, messages: Sequence[Message]
) -> None:
    """Make received, unprocessed messages visible again at once (a stopping consumer's)."""
    entries = _visibility_entries(messages, 0)
    try:
        response = await sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    except Exception:
        logger.warning("ChangeMessageVisibilityBatch failed while stopping", exc_info=True)
        stats.visibility_failures += len(messages)
        return
    failures = _failures(list(messages), response["Failed"])
    _log_failures("ChangeMessageVisibilityBatch", failures)
    stats.visibility_failures += len(failures)
    stats.released += len(messages) - len(failures)
    logger.info("stopping: %d received messages made visible again", len(messages) - len(failures))


def _visibility_entries(
    messages: Sequence[Message], timeout: int
) -> list[ChangeMessageVisibilityBatchRequestEntryTypeDef]:
    """ChangeMessageVisibilityBatch entries (the Id is the message's index)."""
    return [
        {"Id": str(n), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": timeout}
        for n, m in enumerate(messages)
    ]


def group_in_order(messages: Sequence[Message]) -> list[list[Message]]:
    """Split by FIFO group, keeping receive order; a message without a group is its own group."""
    groups: dict[str, list[Message]] = {}
    for message in messages:
        key = message.group_id if message.group_id is not None else f"\0{message.message_id}"
        groups.setdefault(key, []).append(message)
    return list(groups.values())


def _log_extra(message: Message) -> dict[str, str | None]:
    return {"message_id": message.message_id, "group_id": message.group_id}


def _failures(
    messages: list[Message], entries: list[BatchResultErrorEntryTypeDef]
) -> list[tuple[Message, str]]:
    """The messages of a batch request's Failed entries (their Id is the message's index)."""
    return [(messages[int(entry["Id"])], entry["Code"]) for entry in entries]


def _log_failures(operation: str, failures: list[tuple[Message, str]]) -> None:
    for message, code in failures:
        logger.warning("%s: entry failed with %s", operation, code, extra=_log_extra(message))


class _Batch:
    def __init__(
        self,
        sqs: SQSClient,
        handler: Handler,
        settings: BatchSettings,
        stats: ConsumerStats,
        messages: Sequence[Message],
    ) -> None:
        self._sqs = sqs
        self._handler = handler
        self._settings = settings
        self._stats = stats
        self._messages = messages
        # Messages the heartbeat keeps invisible: received and neither deleted nor let go.
        self._unsettled = {message.message_id: message for message in messages}
        # A release (visibility 0) must not race ahead of a heartbeat extending the same message.
        self._visibility_lock = asyncio.Lock()

    async def run(self) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(), name="sqs-visibility-heartbeat")
        try:
            async with asyncio.TaskGroup() as groups:
                for group in group_in_order(self._messages):
                    groups.create_task(self._run_group(group))
        finally:
            heartbeat.cancel()
            # asyncio.wait does not re-raise the heartbeat's cancellation as ours.
            await asyncio.wait([heartbeat])

    async def _run_group(self, group: list[Message]) -> None:
        done: list[Message] = []
        try:
            for index, message in enumerate(group):
                outcome = await self._handle(message)
                if outcome is Outcome.DONE:
                    self._stats.done += 1
                    done.append(message)
                elif outcome is Outcome.POISON:
                    self._stats.poison += 1
                    await self._let_go([message])
                else:
                    self._stats.retried += 1
                    await self._hold_back(message, group[index + 1 :])
                    break
            await self._delete(done)
        finally:
            self._stats.in_flight -= len(group)

    async def _handle(self, message: Message) -> Outcome:
        try:
            result = await self._handler.handle(message)
        except Exception:
            logger.exception("handler failed; message kept for retry", extra=_log_extra(message))
            return Outcome.RETRY
        if result.outcome is not Outcome.DONE:
            logger.warning(
                "message %s: %s", result.outcome.value, result.reason, extra=_log_extra(message)
            )
        return result.outcome

    async def _hold_back(self, failed: Message, later: list[Message]) -> None:
        """Keep the failed message invisible until its timeout lapses; free the later ones.

        SQS does not hand out a FIFO group's messages while one of them is in flight, so making
        the later messages visible now cannot reorder them; they follow `failed` when it comes
        back. (Leaving them to time out as well also works on AWS, but moto then redelivers the
        group's last message first.)
        """
        self._unsettled.pop(failed.message_id, None)
        self._stats.held_back += len(later)
        await self._let_go(later)

    async def _let_go(self, messages: list[Message]) -> None:
        for message in messages:
            self._unsettled.pop(message.message_id, None)
        await self._change_visibility(messages, 0)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._settings.heartbeat_every)
            await self._change_visibility(
                list(self._unsettled.values()), self._settings.visibility_timeout
            )

    async def _change_visibility(self, messages: list[Message], timeout: int) -> None:
        if not messages:
            return
        entries = _visibility_entries(messages, timeout)
        async with self._visibility_lock:
            try:
                response = await self._sqs.change_message_visibility_batch(
                    QueueUrl=self._settings.queue_url, Entries=entries
                )
            except Exception:
                logger.warning("ChangeMessageVisibilityBatch failed", exc_info=True)
                self._stats.visibility_failures += len(messages)
                return
        # A message settled meanwhile (deleted, for instance) fails harmlessly: ignore it.
        failed = [
            (message, code)
            for message, code in _failures(messages, response["Failed"])
            if timeout == 0 or message.message_id in self._unsettled
        ]
        _log_failures("ChangeMessageVisibilityBatch", failed)
        self._stats.visibility_failures += len(failed)

    async def _delete(self, messages: list[Message]) -> None:
        if not messages:
            return
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(n), "ReceiptHandle": m.receipt_handle} for n, m in enumerate(messages)
        ]
        try:
            response = await self._sqs.delete_message_batch(
                QueueUrl=self._settings.queue_url, Entries=entries
            )
        except Exception:
            logger.warning("DeleteMessageBatch failed", exc_info=True)
            failed = len(messages)
        else:
            failures = _failures(messages, response["Failed"])
            _log_failures("DeleteMessageBatch", failures)
            failed = len(failures)
        for message in messages:
            self._unsettled.pop(message.message_id, None)
        self._stats.deleted += len(messages) - failed
        self._stats.delete_failures += failed
