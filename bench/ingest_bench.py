"""Ingestion benchmark: throughput, send → anomaly latency and memory under a backlog, via SQS.

    python -m bench.ingest_bench [--messages 20000] [--rate 50] [--seconds 20]
                                 [--backlog 100000] [--process 30000 | --drain]
                                 [--pollers 2] [--peer lean|moto] [--quick]

1. Throughput: generated CloudTrail records (about 70 % cost events) are pre-loaded into a FIFO
   queue; one `Consumer` + `Pipeline` on a fresh in-process store drains it. Also measured: the
   same queue drained by a handler that does nothing (the SQS + consumer ceiling).
2. Latency: a steady stream at `--rate` messages/s; every tenth is a p4d.24xlarge launch by a new
   principal, which always raises an anomaly. Latency = the anomaly's `created_at` minus the wall
   clock just before its `send_message` call.
3. Memory: `--backlog` messages are pre-loaded, then a consumer in a fresh process (so nothing
   else this benchmark did is in its RSS) processes `--process` of them while VmRSS is sampled.

The SQS peer runs in its own process and speaks SQS's JSON protocol over HTTP, so botocore's
serialisation runs for real. moto's SQS (`--peer moto`) costs O(queue depth) per call (every
SendMessage and every received message recomputes the queue's attributes), which makes a 20,000
message pre-load take hours; the default `lean` peer is a small in-memory FIFO queue with SQS's
group locking, visibility timeouts, deduplication window and redrive policy.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import ctypes
import functools
import gc
import math
import multiprocessing
import os
import platform
import resource
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aioboto3
import orjson

from bench.chaos import _account, _depth, _send, scenario_records
from bench.local_aws import QueueUrls, create_queues, send, sqs_client, unique_name
from bench.sqs_peer import sqs_peer
from bench.trails import run_instances
from ingest.consumer import Consumer, ConsumerConfig, ConsumerStats
from ingest.messages import Handler, Message, Outcome, Result
from ingest.pipeline import Pipeline, PipelineStats
from pricing import load_catalogue
from storage import Store, memory_store

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

TENANT = "bench"
LAUNCH_ACCOUNT = "999900000001"  # the expensive launches come from their own account (FIFO group)
LAUNCH_EVERY = 10
BATCH = 10
MIB = 1024.0


# ---------------------------------------------------------------------------------- shared parts


def session() -> aioboto3.Session:
    """An aioboto3 session with the fake credentials the local peers accept."""
    return aioboto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


async def fresh_store(accounts: set[str]) -> Store:
    """An empty in-process store with the accounts attached to the benchmark's tenant."""
    store = memory_store()
    now = datetime.now(UTC)
    await store.start(now)
    await store.tenants.ensure(TENANT, now)
    for account in sorted(accounts):
        await store.accounts.attach(TENANT, account, now)
    return store


class Watch:
    """A Handler that passes messages on and notes the most messages its consumer held."""

    def __init__(self, inner: Handler) -> None:
        self.inner = inner
        self.consumer: Consumer | None = None
        self.in_flight_max = 0

    async def handle(self, message: Message) -> Result:
        """Note the consumer's in-flight count, then handle."""
        if self.consumer is not None:
            self.in_flight_max = max(self.in_flight_max, self.consumer.stats.in_flight)
        return await self.inner.handle(message)


class Nothing:
    """A Handler that does no work: what SQS and the consumer cost on their own."""

    async def handle(self, message: Message) -> Result:
        """Done at once."""
        return Result(Outcome.DONE)


@contextlib.asynccontextmanager
async def consuming(
    sqs: SQSClient, watch: Watch, queue_url: str, pollers: int
) -> AsyncIterator[Consumer]:
    """A running consumer (wait 1 s, visibility 60 s); stopped and settled on exit."""
    config = ConsumerConfig(
        queue_url=queue_url, pollers=pollers, wait_seconds=1, visibility_timeout=60
    )
    consumer = Consumer(sqs, watch, config)
    watch.consumer = consumer
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        consumer.stop()
        await task


async def wait_until(check: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    """Poll `check` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)
    return True


def by_group(records: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """(body, group, dedup id) per FIFO group (the account), in record order."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for record in records:
        group = _account(record)
        out.setdefault(group, []).append((orjson.dumps(record).decode(), group, record["eventID"]))
    return out


async def load(sqs: SQSClient, queue_url: str, records: list[dict[str, Any]]) -> float:
    """Send the records in batches of 10, one concurrent sender per group; the seconds taken."""
    started = time.perf_counter()
    await asyncio.gather(*(_send(sqs, queue_url, items) for items in by_group(records).values()))
    return time.perf_counter() - started


async def new_queue(sqs: SQSClient, prefix: str) -> QueueUrls:
    """A fresh FIFO queue (visibility 60 s) with its DLQ."""
    return await create_queues(sqs, unique_name(prefix), visibility_timeout=60)


def accounts_of(records: list[dict[str, Any]]) -> set[str]:
    """The AWS accounts the records come from."""
    return {_account(r) for r in records}


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


# ------------------------------------------------------------------------------ 1. throughput


@dataclass
class Drain:
    """One pre-loaded queue drained by one consumer."""

    messages: int
    load_seconds: float
    seconds: float
    left: int
    consumer: ConsumerStats
    in_flight_max: int
    marks: list[tuple[int, float]]

    @property
    def rate(self) -> float:
        """Messages per second, consumer start to empty queue."""
        return self.messages / self.seconds if self.seconds else 0.0

    def window_rate(self, first: bool) -> float:
        """Messages per second over the first (or last) tenth of the run."""
        if len(self.marks) < 2:
            return self.rate
        (n0, t0), (n1, t1) = self.marks[:2] if first else self.marks[-2:]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


async def _marks(stats: ConsumerStats, total: int, timeout: float) -> list[tuple[int, float]]:
    """(messages deleted, seconds) at the start and at every tenth of `total` as it is reached."""
    started = time.perf_counter()
    step = max(total // 10, 1)
    marks = [(0, 0.0)]
    deadline = started + timeout
    while marks[-1][0] < total and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
        deleted = stats.deleted
        if deleted >= min(marks[-1][0] + step, total):
            marks.append((deleted, time.perf_counter() - started))
    return marks


async def drain(
    endpoint: str,
    records: list[dict[str, Any]],
    handler: Handler,
    *,
    pollers: int,
    timeout: float,
) -> Drain:
    """Pre-load a new queue with the records, then time one consumer draining it."""
    async with sqs_client(session(), endpoint) as sqs:
        urls = await new_queue(sqs, "ingest-bench")
        load_seconds = await load(sqs, urls.queue_url, records)
        watch = Watch(handler)
        async with consuming(sqs, watch, urls.queue_url, pollers) as consumer:
            marks = await _marks(consumer.stats, len(records), timeout)
        return Drain(
            messages=marks[-1][0],
            load_seconds=load_seconds,
            seconds=marks[-1][1],
            left=await _depth(sqs, urls.queue_url),
            consumer=consumer.stats,
            in_flight_max=watch.in_flight_max,
            marks=marks,
        )


@dataclass
class Throughput:
    """End-to-end throughput, and the SQS + consumer ceiling on the same messages."""

    sent: int
    groups: int
    full: Drain
    pipeline: PipelineStats
    stored_events: int
    ceiling: Drain

    @property
    def event_rate(self) -> float:
        """Cost events stored per second."""
        return self.pipeline.events / self.full.seconds if self.full.seconds else 0.0


async def measure_throughput(
    endpoint: str, *, messages: int, pollers: int, seed: int = 1, timeout: float = 7200.0
) -> Throughput:
    """Drain `messages` generated records through the pipeline, then through a no-op handler."""
    records = scenario_records(messages, seed)
    store = await fresh_store(accounts_of(records))
    pipeline = Pipeline(store, load_catalogue())
    full = await drain(endpoint, records, pipeline, pollers=pollers, timeout=timeout)
    ceiling = await drain(endpoint, records, Nothing(), pollers=pollers, timeout=timeout)
    return Throughput(
        sent=len(records),
        groups=len(accounts_of(records)),
        full=full,
        pipeline=pipeline.stats,
        stored_events=await store.events.count(TENANT),
        ceiling=ceiling,
    )


def _consumer_line(stats: ConsumerStats, in_flight_max: int, pollers: int) -> str:
    return (
        f"  consumer: received {stats.received:,}, done {stats.done:,}, deleted {stats.deleted:,}, "
        f"poison {stats.poison}, retried {stats.retried}, receive errors {stats.receive_errors}, "
        f"in flight max {in_flight_max} (limit {pollers * BATCH})"
    )


def _pipeline_line(stats: PipelineStats) -> str:
    return (
        f"  pipeline: messages {stats.messages:,}, cost events {stats.events:,}, "
        f"duplicates {stats.duplicates}, ignored {stats.ignored:,}, poison {stats.poison}, "
        f"unrouted {stats.unrouted}, anomalies {stats.anomalies:,}"
    )


def throughput_lines(result: Throughput, pollers: int) -> list[str]:
    """The throughput figures, for people."""
    full = result.full
    return [
        f"throughput: {full.messages:,} of {result.sent:,} messages ({result.groups} FIFO groups) "
        f"drained in {full.seconds:.1f} s by {pollers} pollers: {full.rate:,.0f} msg/s, "
        f"{result.event_rate:,.0f} cost events/s ({result.stored_events:,} stored)",
        f"  pre-loading the queue took {full.load_seconds:.1f} s; messages left {full.left}",
        f"  rate over the first tenth {full.window_rate(True):,.0f} msg/s, over the last tenth "
        f"{full.window_rate(False):,.0f} msg/s (the in-process store slows down as it fills)",
        _consumer_line(full.consumer, full.in_flight_max, pollers),
        _pipeline_line(result.pipeline),
        f"  SQS + consumer alone (handler does nothing): {result.ceiling.rate:,.0f} msg/s, "
        f"messages left {result.ceiling.left}",
    ]


# ---------------------------------------------------------------------------------- 2. latency


@dataclass
class Latency:
    """Send → anomaly record latency of the expensive launches in a steady stream."""

    rate: float
    seconds: float
    sent: int
    send_seconds: float
    launches: list[str]
    latencies_ms: list[float]
    missing: list[str]
    left: int
    consumer: ConsumerStats
    pipeline: PipelineStats
    in_flight_max: int

    def figure(self, share: float) -> float:
        """A percentile of the latencies, in ms (NaN when there are none)."""
        return percentile(self.latencies_ms, share) if self.latencies_ms else math.nan


def launch(index: int, when: datetime) -> dict[str, Any]:
    """A p4d.24xlarge launch by a principal never seen before: it always raises an anomaly."""
    record = run_instances(
        f"bench-launch-{uuid.uuid4().hex[:12]}-{index}",
        when,
        [f"i-{index:017x}"],
        "p4d.24xlarge",
        account=LAUNCH_ACCOUNT,
    )
    record["userIdentity"]["userName"] = f"bench-{index}"
    record["userIdentity"]["arn"] = f"arn:aws:iam::{LAUNCH_ACCOUNT}:user/bench-{index}"
    return record


async def stream(
    sqs: SQSClient, queue_url: str, background: list[dict[str, Any]], rate: float
) -> dict[str, float]:
    """Send one message every 1/rate s; every tenth a launch. The wall clock of each launch."""
    sent_at: dict[str, float] = {}
    started = time.monotonic()
    for index, plain in enumerate(background):
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        due = index % LAUNCH_EVERY == LAUNCH_EVERY // 2
        record = launch(index, datetime.now(UTC)) if due else plain
        body, group, event_id = orjson.dumps(record).decode(), _account(record), record["eventID"]
        before = time.time()
        await send(sqs, queue_url, body, group, event_id)
        if group == LAUNCH_ACCOUNT:
            sent_at[event_id] = before
    return sent_at


async def latencies(store: Store, sent_at: dict[str, float]) -> tuple[list[float], list[str]]:
    """(latency in ms of each launch with an anomaly record, the launches without one)."""
    found: list[float] = []
    missing: list[str] = []
    for event_id, before in sent_at.items():
        anomaly = await store.anomalies.get(TENANT, event_id)
        if anomaly is None:
            missing.append(event_id)
            continue
        created = anomaly.created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        found.append((created.timestamp() - before) * 1000)
    return found, missing


async def measure_latency(
    endpoint: str, *, rate: float, seconds: float, pollers: int, seed: int = 2
) -> Latency:
    """Stream `rate × seconds` messages at a steady rate while one consumer runs."""
    background = scenario_records(max(1, round(rate * seconds)), seed)
    store = await fresh_store(accounts_of(background) | {LAUNCH_ACCOUNT})
    pipeline = Pipeline(store, load_catalogue())
    watch = Watch(pipeline)
    async with sqs_client(session(), endpoint) as sqs, sqs_client(session(), endpoint) as sender:
        urls = await new_queue(sqs, "ingest-latency")
        async with consuming(sqs, watch, urls.queue_url, pollers) as consumer:
            started = time.perf_counter()
            sent_at = await stream(sender, urls.queue_url, background, rate)
            send_seconds = time.perf_counter() - started
            stats = consumer.stats
            await wait_until(lambda: stats.deleted >= len(background), timeout=60 + seconds)
        left = await _depth(sqs, urls.queue_url)
    found, missing = await latencies(store, sent_at)
    return Latency(
        rate=rate,
        seconds=seconds,
        sent=len(background),
        send_seconds=send_seconds,
        launches=list(sent_at),
        latencies_ms=found,
        missing=missing,
        left=left,
        consumer=consumer.stats,
        pipeline=pipeline.stats,
        in_flight_max=watch.in_flight_max,
    )


def latency_lines(result: Latency, pollers: int) -> list[str]:
    """The latency figures, for people."""
    shares = {"p50": 0.50, "p95": 0.95, "p99": 0.99, "max": 1.0}
    figures = ", ".join(f"{name} {result.figure(share):,.0f}" for name, share in shares.items())
    return [
        f"latency send → anomaly record: {figures} ms over {len(result.latencies_ms)} of "
        f"{len(result.launches)} launches; missing {len(result.missing)}"
        + (f" (e.g. {result.missing[0]})" if result.missing else ""),
        f"  stream: {result.sent:,} messages in {result.send_seconds:.1f} s "
        f"({result.sent / result.send_seconds:,.1f} msg/s, target {result.rate:g}); "
        f"messages left {result.left}",
        _consumer_line(result.consumer, result.in_flight_max, pollers),
        _pipeline_line(result.pipeline),
    ]


# ------------------------------------------------------------------------- 3. memory under backlog


def rss_kib(field_name: str = "VmRSS") -> int:
    """This process's resident set (or `VmHWM`, its peak) in KiB."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB, the peak


def trim() -> None:
    """Collect garbage and hand free heap back to the OS (glibc), so RSS shows what is live."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


async def documents(store: Store) -> int:
    """Documents in every collection of the store."""
    db = store.connection.db
    names = await db.list_collection_names()
    return sum([await db[name].estimated_document_count() for name in names])


def deep_size(root: object, seen: set[int]) -> int:
    """Bytes of `root` and everything it holds through dicts, lists, tuples and sets."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
    return total


async def store_kib(store: Store) -> float:
    """KiB the in-process store's documents take (mongomock keeps them as Python dicts)."""
    db = store.connection.db
    seen: set[int] = set()
    total = 0
    for name in await db.list_collection_names():
        held = getattr(getattr(db[name], "_store", None), "_documents", None)
        total += deep_size(held, seen) if held is not None else 0
    return total / 1024


@dataclass
class Rss:
    """What one consumer process's memory did while it worked through a backlog."""

    target: int
    processed: int = 0
    seconds: float = 0.0
    start_kib: int = 0
    checkpoints: list[tuple[int, int, int]] = field(default_factory=list)
    samples: list[int] = field(default_factory=list)
    peak_kib: int = 0
    in_flight_max: int = 0
    documents: int = 0
    store_kib: float = 0.0
    consumer: ConsumerStats = field(default_factory=ConsumerStats)

    @property
    def per_document_kib(self) -> float:
        """KiB each stored document takes, on average."""
        return self.store_kib / self.documents if self.documents else 0.0

    def growth(self) -> tuple[float, float]:
        """(RSS growth, part of it not explained by stored documents) between checkpoints, KiB."""
        if len(self.checkpoints) < 2:
            return 0.0, 0.0
        (_, rss0, docs0), (_, rss1, docs1) = self.checkpoints[0], self.checkpoints[-1]
        grown = float(rss1 - rss0)
        return grown, grown - (docs1 - docs0) * self.per_document_kib


async def _observe(
    consumer: Consumer, store: Store, report: Rss, timeout: float, sample_every: float = 1.0
) -> None:
    """Sample RSS every second and at each third of the target, until it is processed."""
    marks = [report.target * k // 3 for k in (1, 2, 3)]
    started = time.perf_counter()
    next_sample = started
    while consumer.stats.deleted < report.target and time.perf_counter() - started < timeout:
        await asyncio.sleep(0.05)
        if time.perf_counter() >= next_sample:
            report.samples.append(rss_kib())
            next_sample += sample_every
        if marks and consumer.stats.deleted >= marks[0]:
            marks.pop(0)
            checkpoint = (consumer.stats.deleted, rss_kib(), await documents(store))
            report.checkpoints.append(checkpoint)
    report.seconds = time.perf_counter() - started


async def _consume_backlog(
    endpoint: str, queue_url: str, accounts: set[str], target: int, pollers: int, timeout: float
) -> Rss:
    report = Rss(target=target)
    store = await fresh_store(accounts)
    watch = Watch(Pipeline(store, load_catalogue()))
    async with sqs_client(session(), endpoint) as sqs:
        trim()
        report.start_kib = rss_kib()
        async with consuming(sqs, watch, queue_url, pollers) as consumer:
            await _observe(consumer, store, report, timeout)
    report.processed, report.consumer = consumer.stats.deleted, consumer.stats
    report.in_flight_max = watch.in_flight_max
    report.peak_kib = rss_kib("VmHWM")
    report.documents = await documents(store)
    report.store_kib = await store_kib(store)
    return report


def consume_backlog(
    endpoint: str, queue_url: str, accounts: set[str], target: int, pollers: int, timeout: float
) -> Rss:
    """In a fresh process: one consumer + pipeline works through `target` backlog messages."""
    return asyncio.run(_consume_backlog(endpoint, queue_url, accounts, target, pollers, timeout))


@dataclass
class Backlog:
    """The backlog as loaded, and the consumer process's memory report."""

    backlog: int
    load_seconds: float
    left: int
    rss: Rss


async def measure_backlog(
    endpoint: str,
    *,
    backlog: int,
    process: int | None,
    pollers: int,
    seed: int = 3,
    timeout: float = 7200.0,
) -> Backlog:
    """Pre-load `backlog` messages here, then measure a consumer process working through them.

    `process` messages (all of them when None) are processed; this process keeps the generated
    records, so the measured process holds only what a consumer holds.
    """
    records = scenario_records(backlog, seed)
    accounts = accounts_of(records)
    async with sqs_client(session(), endpoint) as sqs:
        urls = await new_queue(sqs, "ingest-backlog")
        load_seconds = await load(sqs, urls.queue_url, records)
        del records
        target = backlog if process is None else min(process, backlog)
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
            work = functools.partial(
                consume_backlog, endpoint, urls.queue_url, accounts, target, pollers, timeout
            )
            rss = await asyncio.get_running_loop().run_in_executor(pool, work)
        left = await _depth(sqs, urls.queue_url)
    return Backlog(backlog=backlog, load_seconds=load_seconds, left=left, rss=rss)


def _mib(kib: float) -> str:
    return f"{kib / MIB:,.1f} MiB"


def backlog_lines(result: Backlog, pollers: int) -> list[str]:
    """The memory figures, for people."""
    rss = result.rss
    grown, rest = rss.growth()
    marks = "; ".join(
        f"after {done:,}: {_mib(kib)} ({docs:,} stored documents)"
        for done, kib, docs in rss.checkpoints
    )
    flat = "yes" if abs(rest) <= 10 * MIB else "NO"
    return [
        f"memory under a {result.backlog:,}-message backlog (loaded in {result.load_seconds:.1f} s"
        f"): {rss.processed:,} of {rss.target:,} processed in {rss.seconds:.1f} s; "
        f"messages left {result.left:,}",
        f"  RSS at start {_mib(rss.start_kib)}; {marks}",
        f"  peak {_mib(rss.peak_kib)} (VmHWM; {len(rss.samples)} samples, highest "
        f"{_mib(max(rss.samples, default=0))}); in flight max {rss.in_flight_max} "
        f"(limit {pollers * BATCH})",
        f"  in-process store at the end: {rss.documents:,} documents, ≈ {_mib(rss.store_kib)} "
        f"(≈ {rss.per_document_kib:.2f} KiB each, deep sizeof)",
        f"  growth first → last checkpoint {_mib(grown)}, of which not the store's "
        f"{_mib(rest)}: consumer + pipeline flat (within 10 MiB): {flat}",
    ]


# ----------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Sizes:
    """How big each part of the run is."""

    messages: int
    rate: float
    seconds: float
    backlog: int
    process: int | None
    pollers: int


FULL = {"messages": 20_000, "rate": 50.0, "seconds": 20.0, "backlog": 100_000, "process": 30_000}
QUICK = {"messages": 2_000, "rate": 50.0, "seconds": 10.0, "backlog": 5_000, "process": 3_000}


def summary(
    sizes: Sizes, peer: str, throughput: Throughput, latency: Latency, backlog: Backlog
) -> list[str]:
    """A markdown table for the README."""
    rss = backlog.rss
    marks = " → ".join(_mib(kib) for _, kib, _ in rss.checkpoints)
    lat = ", ".join(f"{n} {latency.figure(s):,.0f}" for n, s in (("p50", 0.5), ("p95", 0.95)))
    lat += f", p99 {latency.figure(0.99):,.0f}, max {latency.figure(1.0):,.0f} ms"
    return [
        "| ingestion benchmark | figure |",
        "| --- | --- |",
        f"| machine | {os.cpu_count()} CPUs, Python {platform.python_version()}, SQS peer "
        f"`{peer}` (own process), store in-process (mongomock) |",
        f"| end to end, {throughput.sent:,} pre-loaded messages, {sizes.pollers} pollers | "
        f"**{throughput.full.rate:,.0f} msg/s**, {throughput.event_rate:,.0f} cost events/s |",
        f"| SQS + consumer alone (handler does nothing) | {throughput.ceiling.rate:,.0f} msg/s |",
        f"| send → anomaly record, {latency.rate:g} msg/s for {latency.seconds:g} s, "
        f"{len(latency.latencies_ms)}/{len(latency.launches)} launches | **{lat}** |",
        f"| RSS, {backlog.backlog:,} backlog, at each third of {rss.target:,} processed | "
        f"start {_mib(rss.start_kib)}; {marks}; peak {_mib(rss.peak_kib)} |",
        f"| in flight (max seen, all runs) | "
        f"{max(throughput.full.in_flight_max, latency.in_flight_max, rss.in_flight_max)} "
        f"(limit {sizes.pollers * BATCH}) |",
    ]


NOTES = [
    "notes: production MongoDB lives outside the service's process; here the store is an",
    "in-process fake (mongomock), so its documents are part of the RSS, and every write scans the",
    "whole collection (its TTL emulation): throughput falls as it fills. The SQS peer runs in its",
    "own process; the latency stream is sent from this process's event loop.",
]


async def run(sizes: Sizes, peer: str, seed: int) -> list[str]:
    """All three measurements against one peer; the printed report."""
    with sqs_peer(peer) as endpoint:
        throughput = await measure_throughput(
            endpoint, messages=sizes.messages, pollers=sizes.pollers, seed=seed
        )
        print("\n".join(throughput_lines(throughput, sizes.pollers)), flush=True)
        latency = await measure_latency(
            endpoint, rate=sizes.rate, seconds=sizes.seconds, pollers=sizes.pollers, seed=seed + 1
        )
        print("\n".join(latency_lines(latency, sizes.pollers)), flush=True)
        backlog = await measure_backlog(
            endpoint,
            backlog=sizes.backlog,
            process=sizes.process,
            pollers=sizes.pollers,
            seed=seed + 2,
        )
        print("\n".join(backlog_lines(backlog, sizes.pollers)), flush=True)
    return ["", *summary(sizes, peer, throughput, latency, backlog), "", *NOTES]


def sizes_from(args: argparse.Namespace) -> Sizes:
    """The sizes asked for: explicit flags over --quick over the full run."""
    base = QUICK if args.quick else FULL
    pick = {
        name: base[name] if getattr(args, name) is None else getattr(args, name) for name in base
    }
    return Sizes(
        messages=int(pick["messages"]),
        rate=float(pick["rate"]),
        seconds=float(pick["seconds"]),
        backlog=int(pick["backlog"]),
        process=None if args.drain else int(pick["process"]),
        pollers=args.pollers,
    )


def main(argv: list[str] | None = None) -> int:
    """Measure throughput, latency and memory of SQS ingestion, and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    parser.add_argument("--messages", type=int, help="pre-loaded messages (20,000)")
    parser.add_argument("--rate", type=float, help="latency stream, messages/s (50)")
    parser.add_argument("--seconds", type=float, help="latency stream duration (20)")
    parser.add_argument("--backlog", type=int, help="messages pre-loaded for memory (100,000)")
    parser.add_argument("--process", type=int, help="backlog messages to process (30,000)")
    parser.add_argument("--drain", action="store_true", help="process the whole backlog")
    parser.add_argument("--pollers", type=int, default=2)
    parser.add_argument("--peer", choices=("lean", "moto"), default="lean")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="2,000 / 10 s / 5,000 (3,000 done)")
    args = parser.parse_args(argv)
    sizes = sizes_from(args)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, peer {args.peer}")
    print("\n".join(asyncio.run(run(sizes, args.peer, args.seed))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
