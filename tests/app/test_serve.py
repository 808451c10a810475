"""The real process end to end: `python app.py` against moto's SQS, real Redis, in-process store.

Real CloudTrail records (some sent twice) and garbage go to a fresh FIFO queue; the service must
drain it (garbage to the DLQ after three receives, everything else deleted), answer /healthz all
along, and exit 0 soon after SIGTERM with no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import aiohttp
import orjson
import pytest

from engine import CostEvent, normalize_record
from pricing import load_catalogue
from tests.aws import QueueUrls, counts, create_queues, send, unique_name
from tests.conftest import FAKE_AWS_ENV
from tests.fixtures import CLOUDTRAIL

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

pytestmark = pytest.mark.slow  # `app.py` and `dd0c-cost serve` as processes: 1-5 s each

REPO = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("dd0c-cost")
VISIBILITY_TIMEOUT = 5
MAX_RECEIVES = 3
GARBAGE = ("not json", '{"hello": 1}', "[1, 2, 3]", "x" * 300_000)
SQS_DUPLICATES = 3  # resent with the same deduplication id: SQS itself drops them
OPS = "fake-ops-token-" + secrets.token_hex(8)
REDELIVERIES = 2  # resent with a new deduplication id: the pipeline must count them once


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send: body, FIFO group, deduplication id."""

    body: str
    group: str
    dedup: str


def cloudtrail_messages() -> list[Outbound]:
    """Every single-record fixture as the queue would carry it (group = its AWS account)."""
    messages = []
    for path in sorted(single_record_files()):
        body = path.read_text()
        record = orjson.loads(body)
        group = record.get("recipientAccountId") or record["userIdentity"]["accountId"]
        # Two published samples have no eventID: content-based deduplication stands in.
        dedup = record.get("eventID") or hashlib.sha256(body.encode()).hexdigest()
        messages.append(Outbound(body, group, dedup))
    return messages


def claimed(messages: list[Outbound]) -> list[Outbound]:
    """The messages whose record is a cost event: the ones the pipeline claims (and so counts
    as duplicates when they come again); failed calls and other skipped records are not."""
    catalogue = load_catalogue()
    return [
        m
        for m in messages
        if isinstance(normalize_record(orjson.loads(m.body), catalogue), CostEvent)
    ]


def single_record_files() -> list[Path]:
    """The fixture files holding one bare record each (envelopes/ holds wrapped ones)."""
    return [
        path
        for path in CLOUDTRAIL.rglob("*.json")
        if path.name != "expected.json" and path.parent.name != "envelopes"
    ]


def free_port() -> int:
    """A local TCP port free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def service_env(moto_endpoint: str, urls: QueueUrls, port: int) -> dict[str, str]:
    """The child's whole environment: nothing inherited but PATH."""
    return {
        "PATH": os.environ.get("PATH", ""),
        **FAKE_AWS_ENV,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "DD0C_DEV": "1",
        "PORT": str(port),
        "AWS_ENDPOINT_URL": moto_endpoint,
        "SQS_QUEUE_URL": urls.queue_url,
        "SQS_DLQ_URL": urls.dlq_url,
        "DD0C_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DD0C_POLLERS": "2",
        "DD0C_OPS_TOKEN": OPS,
    }


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout: float, what: str, every: float = 0.2
) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        await asyncio.sleep(every)


class HealthWatch:
    """Polls /healthz in the background and remembers every answer that was not a 200."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url
        self.answers = 0
        self.failures: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def healthy(self) -> bool:
        """One probe: True on 200 {"status": "ok"}."""
        try:
            async with self.http.get(self.url) as response:
                ok = response.status == 200 and await response.json() == {"status": "ok"}
                if not ok:
                    self.failures.append(f"HTTP {response.status}")
                return ok
        except aiohttp.ClientError as exc:
            self.failures.append(type(exc).__name__)
            return False

    def start(self) -> None:
        """Begin probing every 100 ms."""
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])

    async def _watch(self) -> None:
        while True:
            await self.healthy()
            self.answers += 1
            await asyncio.sleep(0.1)


async def send_all(sqs: SQSClient, queue_url: str, messages: Sequence[Outbound]) -> None:
    """Send each message in order."""
    for message in messages:
        await send(sqs, queue_url, message.body, message.group, message.dedup)


async def drain_dlq(sqs: SQSClient, dlq_url: str) -> list[str]:
    """Every body in the DLQ (received with a long visibility, so each once)."""
    bodies: list[str] = []
    while True:
        response = await sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0
        )
        batch = response.get("Messages", [])
        if not batch:
            return bodies
        bodies.extend(message["Body"] for message in batch)


async def start_service(
    command: Sequence[str], env: dict[str, str], stderr: IO[bytes]
) -> asyncio.subprocess.Process:
    """Start the service process, its stderr going to `stderr`."""
    return await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


async def wait_serving(process: asyncio.subprocess.Process, watch: HealthWatch) -> None:
    """Wait until /healthz answers (failing at once if the process died)."""

    async def up() -> bool:
        assert process.returncode is None, f"the service exited with {process.returncode}"
        return await watch.healthy()

    await wait_until(up, 30, "the service to answer /healthz")
    watch.failures.clear()  # refusals while it was starting do not count


async def terminate(process: asyncio.subprocess.Process, signum: int) -> tuple[int, float]:
    """Send `signum`; the exit code and the seconds it took (fails past the visibility timeout)."""
    started = time.monotonic()
    process.send_signal(signum)
    code = await asyncio.wait_for(process.wait(), timeout=VISIBILITY_TIMEOUT)
    return code, time.monotonic() - started


async def kill_if_running(process: asyncio.subprocess.Process) -> None:
    """Make sure no child outlives a failed test."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The service's stderr: every line must be one JSON object."""
    text = path.read_text()
    assert "Traceback" not in text, text[-4000:]
    return [orjson.loads(line) for line in text.splitlines()]


async def test_serve_drains_the_queue_and_stops_cleanly_on_sigterm(
    moto_endpoint: str, sqs: SQSClient, tmp_path: Path
) -> None:
    urls = await create_queues(
        sqs,
        unique_name("serve"),
        visibility_timeout=VISIBILITY_TIMEOUT,
        max_receive_count=MAX_RECEIVES,
    )
    records = cloudtrail_messages()
    garbage = [
        Outbound(body, records[0].group if n % 2 else "garbage", f"garbage-{n}")
        for n, body in enumerate(GARBAGE)
    ]
    # Before the service starts, so every original is still queued when its duplicate arrives
    # and SQS's deduplication drops it (moto only deduplicates against queued messages).
    await send_all(sqs, urls.queue_url, records + records[:SQS_DUPLICATES] + garbage)
    accepted = len({message.dedup for message in records})

    port = free_port()
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        process = await start_service(
            [sys.executable, "app.py"], service_env(moto_endpoint, urls, port), stderr
        )
    try:
        async with aiohttp.ClientSession() as http:
            watch = HealthWatch(http, f"http://127.0.0.1:{port}/healthz")
            await wait_serving(process, watch)
            watch.start()
            redelivered = [
                Outbound(m.body, m.group, f"{m.dedup}-again")
                for m in claimed(records)[SQS_DUPLICATES : SQS_DUPLICATES + REDELIVERIES]
            ]
            await send_all(sqs, urls.queue_url, redelivered)

            async def drained() -> bool:
                main_queue, dlq = await counts(sqs, urls.queue_url), await counts(sqs, urls.dlq_url)
                return main_queue == (0, 0) and dlq[0] == len(GARBAGE)

            await wait_until(drained, 90, "the queue to drain and the garbage to reach the DLQ")
            readyz = f"http://127.0.0.1:{port}/readyz"
            async with http.get(readyz, headers={"Authorization": f"Bearer {OPS}"}) as response:
                ready_status, ready = response.status, await response.json()
            await watch.stop()
        code, seconds = await terminate(process, signal.SIGTERM)
    finally:
        await kill_if_running(process)

    print(f"\nSIGTERM to exit: {seconds:.2f} s; {len(records)} records ({accepted} accepted)")
    assert code == 0
    assert seconds < VISIBILITY_TIMEOUT
    assert watch.answers > 0 and watch.failures == []
    assert sorted(await drain_dlq(sqs, urls.dlq_url)) == sorted(GARBAGE)
    assert await counts(sqs, urls.queue_url) == (0, 0)

    assert ready_status == 200 and ready["checks"] == {"mongodb": "ok", "redis": "ok", "sqs": "ok"}
    consumer, pipeline = ready["ingest"]["consumer"], ready["ingest"]["pipeline"]
    assert consumer["done"] == accepted + REDELIVERIES
    assert consumer["poison"] == len(GARBAGE) * MAX_RECEIVES
    assert consumer["retried"] == 0
    assert pipeline["duplicates"] == REDELIVERIES
    assert pipeline["messages"] == consumer["done"] + consumer["poison"]

    lines = log_lines(stderr_path)
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
    assert any(line["message"] == "signal received: stopping" for line in lines)


async def test_cli_serve_stops_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), **FAKE_AWS_ENV, "DD0C_DEV": "1", "PORT": "1"}
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        # --port overrides PORT=1 (which it could not bind).
        process = await start_service(
            [str(CONSOLE_SCRIPT), "serve", "--port", str(port)], env, stderr
        )
    try:
        async with aiohttp.ClientSession() as http:
            await wait_serving(process, HealthWatch(http, f"http://127.0.0.1:{port}/healthz"))
        code, _ = await terminate(process, signal.SIGINT)
    finally:
        await kill_if_running(process)
    assert code == 0
    messages = [line["message"] for line in log_lines(stderr_path)]
    assert "DD0C_DEV=1 without SQS_QUEUE_URL: no SQS consumer, nothing is ingested" in messages


async def test_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PORT": "abc", "DD0C_TOKEN_KEY": "hunter2"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    lines = err.decode().splitlines()
    assert len(lines) == 1
    assert lines[0] == (
        "dd0c-cost: DD0C_TOKEN_KEY: must be at least 32 characters long (and 1 more: PORT)"
    )
    assert "hunter2" not in err.decode()


async def test_malformed_mongodb_uri_exits_2_with_one_line_naming_it() -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        **FAKE_AWS_ENV,
        "DD0C_DEV": "1",
        "MONGODB_URI": "mongodb://admin:hunter2@db:notaport/dd0c_cost",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    [line] = err.decode().splitlines()
    assert line.startswith("dd0c-cost: MONGODB_URI: is not a valid MongoDB connection string: ")
    assert "hunter2" not in line
