"""What the SQS consumer hands to the per-event pipeline, and what it gets back.

The consumer knows queues, batches, FIFO groups and visibility; the pipeline knows CloudTrail,
MongoDB and the engine. They meet here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    """One SQS message as received."""

    message_id: str
    receipt_handle: str
    body: str
    group_id: str | None = None
    receive_count: int = 1
    sent_at_ms: int | None = None


class Outcome(enum.Enum):
    """What the consumer does with a message after the pipeline has seen it."""

    DONE = "done"
    """Its effects are durable (or it needed none): delete it."""

    POISON = "poison"
    """It can never succeed (not JSON, not CloudTrail, oversized): the pipeline has recorded why.
    Keep it, make it visible again at once, and let the redrive policy move it to the DLQ after
    its third receive. It does not hold back the rest of its group."""

    RETRY = "retry"
    """A transient failure: keep it and every later message of its FIFO group in this batch."""


@dataclass(frozen=True, slots=True)
class Result:
    """The pipeline's answer for one message."""

    outcome: Outcome
    reason: str | None = None


class Handler(Protocol):
    """The per-message pipeline the consumer drives."""

    async def handle(self, message: Message) -> Result:
        """Process one message; an exception counts as RETRY."""
        ...


class Gate(Protocol):
    """Optional on a Handler: whether it can take messages now (its store is reachable).

    The consumer asks before every receive and does not receive while the answer is no, so an
    outage of a dependency does not burn the messages' receive counts towards the DLQ.
    """

    async def ready(self) -> bool:
        """True when messages can be processed now."""
        ...
