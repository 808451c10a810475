"""Helpers for benchmarks and tests that talk to moto's SQS server over real HTTP.

`tests/aws.py` re-exports them: bench never imports tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3
from aiobotocore.config import AioConfig

from bench import moto_sqs_lock

if TYPE_CHECKING:
    from aiobotocore.session import ClientCreatorContext
    from moto.server import ThreadedMotoServer
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.literals import QueueAttributeNameType

HOST = "127.0.0.1"
REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class QueueUrls:
    """A FIFO queue and its dead-letter queue."""

    queue_url: str
    dlq_url: str


class MotoServer:
    """moto in server mode on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        # Imported here so that only the tests that use moto pay for (or fail on) importing it.
        from moto.server import ThreadedMotoServer

        moto_sqs_lock.install()  # one request at a time per queue operation, as SQS behaves

        self._server: ThreadedMotoServer = ThreadedMotoServer(
            ip_address=HOST, port=0, verbose=False
        )
        self.endpoint = ""

    def start(self) -> str:
        """Start the server thread and return its endpoint URL."""
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        """Stop serving (requests still being answered finish on their own threads)."""
        self._server.stop()


def reset(endpoint: str) -> None:
    """Forget every resource moto holds (all queues, all accounts)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def unique_name(prefix: str) -> str:
    """A queue name no other test uses (FIFO names allow 75 characters before '.fifo')."""
    return f"{prefix[:40]}-{uuid.uuid4().hex[:16]}"


async def create_queues(
    sqs: SQSClient,
    name: str,
    *,
    visibility_timeout: int = 30,
    max_receive_count: int = 3,
) -> QueueUrls:
    """Create FIFO queue `<name>.fifo` whose redrive policy targets FIFO `<name>-dlq.fifo`."""
    fifo: dict[QueueAttributeNameType, str] = {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "false",
    }
    dlq = await sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes=fifo)
    dlq_url = dlq["QueueUrl"]
    arn = await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = {
        "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
        "maxReceiveCount": max_receive_count,
    }
    queue = await sqs.create_queue(
        QueueName=f"{name}.fifo",
        Attributes={
            **fifo,
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(redrive),
        },
    )
    return QueueUrls(queue_url=queue["QueueUrl"], dlq_url=dlq_url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_process(timeout: float = 30.0) -> Iterator[str]:
    """moto's server in its own process (no GIL shared with the code under test); yields the URL.

    It runs with `bench.moto_sqs_lock` installed, so concurrent receives cannot both get a message.

    Heavy runs (the chaos benchmark) need this: moto's long poll spins while a FIFO group is
    locked, and in a thread of the same process it starves the consumer's event loop.
    """
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, moto_sqs_lock.__file__, "-H", HOST, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1) as response:
                    response.read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not start on {endpoint}") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_moto() -> Iterator[str]:
    """Run a moto server for the duration of the block; yields its endpoint URL."""
    server = MotoServer()
    endpoint = server.start()
    try:
        yield endpoint
    finally:
        server.stop()


def sqs_client(
    session: aioboto3.Session, endpoint: str, **config: Any
) -> ClientCreatorContext[SQSClient]:
    """An async SQS client context for `endpoint`; `config` goes to botocore's Config."""
    return session.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        config=AioConfig(**{"retries": {"total_max_attempts": 3, "mode": "standard"}, **config}),
    )


async def send(sqs: SQSClient, queue_url: str, body: str, group: str, dedup: str) -> None:
    """Send one FIFO message; `dedup` plays the CloudTrail eventID."""
    await sqs.send_message(
        QueueUrl=queue_url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup
    )


async def counts(sqs: SQSClient, queue_url: str) -> tuple[int, int]:
    """(ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible) of a queue."""
    response = await sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    attributes = response["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


async def eventually(
    check: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> None:
    """Poll `check` (sync or async) until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s")
        await asyncio.sleep(interval)
