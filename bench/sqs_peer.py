"""A lean SQS FIFO peer for benchmarks: an in-memory queue server in its own process.

It speaks SQS's JSON protocol over HTTP (botocore's serialisation runs for real) with FIFO group
locking, visibility timeouts, the 5-minute deduplication window and the redrive policy. moto's SQS
costs O(queue depth) per call, which makes a 20,000-message pre-load take hours; tests use moto,
benchmarks at scale use this. It is not a test double for correctness: the chaos test runs on moto.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import multiprocessing
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from bench.local_aws import moto_process

if TYPE_CHECKING:
    pass


HOST = "127.0.0.1"
PEER_ACCOUNT = "123456789012"
DEDUP_WINDOW = 300.0


# ---------------------------------------------------------------- the lean SQS peer (own process)


class SqsError(Exception):
    """An SQS error answer: its code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class _Held:
    """A message the lean peer holds."""

    message_id: str
    body: str
    group: str
    dedup: str
    sequence: int
    sent_ms: int
    md5: str
    receives: int = 0
    first_receive_ms: int = 0
    visible_at: float = 0.0
    receipts: list[str] = field(default_factory=list)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class FifoQueue:
    """One FIFO queue: a group with a message in flight is not served until it settles."""

    def __init__(self, name: str, url: str, attributes: dict[str, str]) -> None:
        self.name, self.url = name, url
        self.arn = f"arn:aws:sqs:us-east-1:{PEER_ACCOUNT}:{name}"
        self.attributes = dict(attributes)
        self.visibility = int(attributes.get("VisibilityTimeout", "30"))
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        self.dlq_arn: str | None = redrive.get("deadLetterTargetArn")
        self.max_receives = int(redrive.get("maxReceiveCount", 0))
        self.dlq: FifoQueue | None = None
        self.held: dict[str, _Held] = {}
        self.groups: dict[str, deque[str]] = {}
        self.in_flight: dict[str, _Held] = {}
        self.locked: Counter[str] = Counter()
        self.receipts: dict[str, str] = {}
        self.dedup: dict[str, tuple[float, str, int]] = {}
        self.sequence = 0
        self.changed = asyncio.Event()

    def wake(self) -> None:
        """Wake the long polls waiting on this queue."""
        self.changed.set()
        self.changed = asyncio.Event()

    def send(self, body: str, group: str, dedup: str) -> tuple[str, str, int]:
        """Enqueue (or, within the deduplication window, accept and drop) a message."""
        now = time.monotonic()
        seen = self.dedup.get(dedup)
        if seen is not None and now - seen[0] < DEDUP_WINDOW:
            return seen[1], _md5(body), seen[2]
        self.sequence += 1
        held = _Held(
            uuid.uuid4().hex, body, group, dedup, self.sequence, int(time.time() * 1000), _md5(body)
        )
        self.held[held.message_id] = held
        self.groups.setdefault(group, deque()).append(held.message_id)
        self.dedup[dedup] = (now, held.message_id, held.sequence)
        self.wake()
        return held.message_id, held.md5, held.sequence

    def take(self, count: int, visibility: int) -> list[tuple[_Held, str]]:
        """Up to `count` messages, oldest first, from groups that have nothing in flight."""
        now = time.monotonic()
        self._expire(now)
        out: list[tuple[_Held, str]] = []
        dead: list[_Held] = []
        for group, ids in self.groups.items():
            if len(out) >= count:
                break
            if group not in self.locked:
                self._take_group(ids, count, visibility, now, out, dead)
        for held in dead:
            self._to_dlq(held)
        return out

    def _take_group(
        self,
        ids: deque[str],
        count: int,
        visibility: int,
        now: float,
        out: list[tuple[_Held, str]],
        dead: list[_Held],
    ) -> None:
        for message_id in ids:
            held = self.held[message_id]
            if self.dlq is not None and 0 < self.max_receives <= held.receives:
                dead.append(held)
                continue
            out.append((held, self._lend(held, visibility, now)))
            if len(out) >= count:
                return

    def _lend(self, held: _Held, visibility: int, now: float) -> str:
        held.receives += 1
        held.first_receive_ms = held.first_receive_ms or int(time.time() * 1000)
        held.visible_at = now + visibility
        receipt = uuid.uuid4().hex
        held.receipts.append(receipt)
        self.receipts[receipt] = held.message_id
        self.in_flight[held.message_id] = held
        self.locked[held.group] += 1
        return receipt

    def _release(self, held: _Held) -> None:
        if self.in_flight.pop(held.message_id, None) is None:
            return
        self.locked[held.group] -= 1
        if self.locked[held.group] <= 0:
            del self.locked[held.group]

    def _expire(self, now: float) -> None:
        for held in [h for h in self.in_flight.values() if h.visible_at <= now]:
            self._release(held)

    def _forget(self, held: _Held) -> None:
        self._release(held)
        self.held.pop(held.message_id, None)
        ids = self.groups[held.group]
        ids.remove(held.message_id)
        if not ids:
            del self.groups[held.group]

    def _to_dlq(self, held: _Held) -> None:
        self._forget(held)
        if self.dlq is not None:
            self.dlq.send(held.body, held.group, f"{held.dedup}-dlq-{held.message_id}")

    def delete(self, receipt: str) -> None:
        """Delete the message of a receipt handle (again: no error)."""
        message_id = self.receipts.get(receipt)
        if message_id is None:
            raise SqsError("ReceiptHandleIsInvalid", f"unknown receipt handle {receipt}")
        held = self.held.get(message_id)
        if held is not None:
            self._forget(held)
            self.wake()

    def change_visibility(self, receipt: str, timeout: int) -> None:
        """Extend (or with 0 end) the invisibility of the message last received with `receipt`."""
        held = self.held.get(self.receipts.get(receipt, ""))
        if held is None or held.message_id not in self.in_flight or held.receipts[-1] != receipt:
            raise SqsError("MessageNotInflight", "the message is not in flight")
        if timeout == 0:
            self._release(held)
            self.wake()
        else:
            held.visible_at = time.monotonic() + timeout

    def attribute_values(self, names: Sequence[str]) -> dict[str, str]:
        """The queue attributes asked for (or 'All')."""
        self._expire(time.monotonic())
        values = {
            **self.attributes,
            "QueueArn": self.arn,
            "VisibilityTimeout": str(self.visibility),
            "ApproximateNumberOfMessages": str(len(self.held) - len(self.in_flight)),
            "ApproximateNumberOfMessagesNotVisible": str(len(self.in_flight)),
            "ApproximateNumberOfMessagesDelayed": "0",
        }
        if "All" in names:
            return values
        return {name: values[name] for name in names if name in values}

    def render(self, held: _Held, receipt: str) -> dict[str, Any]:
        """A received message as ReceiveMessage returns it."""
        return {
            "MessageId": held.message_id,
            "ReceiptHandle": receipt,
            "MD5OfBody": held.md5,
            "Body": held.body,
            "Attributes": {
                "SenderId": PEER_ACCOUNT,
                "SentTimestamp": str(held.sent_ms),
                "ApproximateReceiveCount": str(held.receives),
                "ApproximateFirstReceiveTimestamp": str(held.first_receive_ms),
                "MessageGroupId": held.group,
                "MessageDeduplicationId": held.dedup,
                "SequenceNumber": str(held.sequence).zfill(20),
            },
        }


def _batch(entries: list[dict[str, Any]], act: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A batch answer: each entry acted on, errors reported per entry."""
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            done.append({"Id": entry["Id"], **act(entry)})
        except SqsError as error:
            failed.append(
                {"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": str(error)}
            )
    return {"Successful": done, "Failed": failed}


class LeanSqs:
    """The SQS JSON-protocol operations the consumer and this benchmark use, in memory."""

    def __init__(self) -> None:
        self.queues: dict[str, FifoQueue] = {}
        self.operations: dict[str, Callable[[dict[str, Any], str], Awaitable[Any]]] = {
            "CreateQueue": self.create_queue,
            "GetQueueAttributes": self.get_queue_attributes,
            "SendMessage": self.send_message,
            "SendMessageBatch": self.send_message_batch,
            "ReceiveMessage": self.receive_message,
            "DeleteMessage": self.delete_message,
            "DeleteMessageBatch": self.delete_message_batch,
            "ChangeMessageVisibilityBatch": self.change_message_visibility_batch,
        }

    async def handle(self, request: web.Request) -> web.Response:
        """Dispatch one request on its X-Amz-Target header."""
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        try:
            act = self.operations.get(operation)
            if act is None:
                raise SqsError("InvalidAction", f"{operation} is not supported here")
            result = await act(orjson.loads(await request.read()), request.host)
        except SqsError as error:
            body = {"__type": f"com.amazonaws.sqs#{error.code}", "message": str(error)}
            return web.Response(
                status=400, body=orjson.dumps(body), content_type="application/x-amz-json-1.0"
            )
        return web.Response(body=orjson.dumps(result), content_type="application/x-amz-json-1.0")

    def queue(self, payload: dict[str, Any]) -> FifoQueue:
        """The queue a request names by URL."""
        name = str(payload.get("QueueUrl", "")).rstrip("/").rpartition("/")[2]
        found = self.queues.get(name)
        if found is None:
            raise SqsError("QueueDoesNotExist", f"no queue {name}")
        return found

    async def create_queue(self, payload: dict[str, Any], host: str) -> Any:
        """CreateQueue (FIFO queues; an existing name returns its URL)."""
        name = payload["QueueName"]
        if name not in self.queues:
            queue = FifoQueue(
                name, f"http://{host}/{PEER_ACCOUNT}/{name}", payload.get("Attributes", {})
            )
            queue.dlq = next((q for q in self.queues.values() if q.arn == queue.dlq_arn), None)
            self.queues[name] = queue
        return {"QueueUrl": self.queues[name].url}

    async def get_queue_attributes(self, payload: dict[str, Any], host: str) -> Any:
        """GetQueueAttributes."""
        names = payload.get("AttributeNames", ["All"])
        return {"Attributes": self.queue(payload).attribute_values(names)}

    async def send_message(self, payload: dict[str, Any], host: str) -> Any:
        """SendMessage."""
        return _sent(self.queue(payload), payload)

    async def send_message_batch(self, payload: dict[str, Any], host: str) -> Any:
        """SendMessageBatch."""
        queue = self.queue(payload)
        return _batch(payload["Entries"], lambda entry: _sent(queue, entry))

    async def receive_message(self, payload: dict[str, Any], host: str) -> Any:
        """ReceiveMessage with long polling."""
        queue = self.queue(payload)
        count = int(payload.get("MaxNumberOfMessages", 1))
        visibility = int(payload.get("VisibilityTimeout", queue.visibility))
        deadline = time.monotonic() + float(payload.get("WaitTimeSeconds", 0))
        while not (taken := queue.take(count, visibility)) and time.monotonic() < deadline:
            # Wake on any change, and at least every 0.1 s to notice visibility timeouts.
            wait = min(0.1, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.changed.wait(), timeout=max(wait, 0.0))
        return {"Messages": [queue.render(held, receipt) for held, receipt in taken]}

    async def delete_message(self, payload: dict[str, Any], host: str) -> Any:
        """DeleteMessage."""
        self.queue(payload).delete(payload["ReceiptHandle"])
        return {}

    async def delete_message_batch(self, payload: dict[str, Any], host: str) -> Any:
        """DeleteMessageBatch."""
        queue = self.queue(payload)
        return _batch(payload["Entries"], lambda entry: _deleted(queue, entry))

    async def change_message_visibility_batch(self, payload: dict[str, Any], host: str) -> Any:
        """ChangeMessageVisibilityBatch."""
        queue = self.queue(payload)
        return _batch(payload["Entries"], lambda entry: _changed(queue, entry))


def _sent(queue: FifoQueue, entry: dict[str, Any]) -> dict[str, Any]:
    group = entry.get("MessageGroupId")
    dedup = entry.get("MessageDeduplicationId")
    if not group or not dedup:
        raise SqsError("MissingParameter", "MessageGroupId and MessageDeduplicationId are needed")
    message_id, md5, sequence = queue.send(entry["MessageBody"], group, dedup)
    return {"MessageId": message_id, "MD5OfMessageBody": md5, "SequenceNumber": str(sequence)}


def _deleted(queue: FifoQueue, entry: dict[str, Any]) -> dict[str, Any]:
    queue.delete(entry["ReceiptHandle"])
    return {}


def _changed(queue: FifoQueue, entry: dict[str, Any]) -> dict[str, Any]:
    queue.change_visibility(entry["ReceiptHandle"], int(entry["VisibilityTimeout"]))
    return {}


async def _serve(conn: Connection) -> None:
    peer = LeanSqs()
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/", peer.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    sock = socket.socket()
    sock.bind((HOST, 0))
    await web.SockSite(runner, sock).start()
    conn.send(sock.getsockname()[1])
    await asyncio.Event().wait()


def serve_lean_sqs(conn: Connection) -> None:
    """The lean peer's process: serve until terminated, after sending the port to `conn`."""
    asyncio.run(_serve(conn))


@contextlib.contextmanager
def lean_sqs_process(timeout: float = 60.0) -> Iterator[str]:
    """The lean SQS peer in its own process on 127.0.0.1; yields its endpoint URL."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve_lean_sqs, args=(child,), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise RuntimeError("the lean SQS peer did not start")
        yield f"http://{HOST}:{parent.recv()}"
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
        parent.close()


@contextlib.contextmanager
def sqs_peer(kind: str) -> Iterator[str]:
    """The SQS peer: 'lean' (default) or 'moto' (moto's server), each in its own process."""
    with lean_sqs_process() if kind == "lean" else moto_process() as endpoint:
        yield endpoint
