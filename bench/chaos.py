"""Chaos run: duplicates, redelivery, crashes at every step and two consumers, through real SQS.

    python -m bench.chaos [--events 5000] [--duplicates 0.2] [--seed 1]

A clean pass feeds the same CloudTrail records straight through the pipeline once, in order. The
chaos pass sends them to an SQS FIFO queue on moto's server (grouped by account, deduplicated on
the eventID), 20 % of them twice (half within SQS's dedup window, half later under another
deduplication id, as a CloudTrail duplicate arrives), plus poison messages; two consumers drain
it while the pipeline crashes after chosen durable steps — half as a failed message, half as a
dying process whose consumer is restarted. The run passes when the stored baselines, anomalies,
events and inventory equal the clean pass and the DLQ holds exactly the poison messages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aioboto3
import orjson

from bench.local_aws import create_queues, moto_process, sqs_client, unique_name
from bench.scenarios._plan import Config
from bench.scenarios._prices import CataloguePrices
from bench.scenarios.generator import generate
from engine import Baseline
from engine.profiles import Profile
from ingest.consumer import Consumer, ConsumerConfig
from ingest.messages import Message
from ingest.pipeline import Pipeline
from ingest.steps import STEPS
from pricing import Catalogue, load_catalogue
from storage import Store, memory_store

TENANT = "chaos"
POISON_LIMIT = 64 * 1024  # the pipeline's size limit in this run, so an oversized body fits SQS
# Receives before SQS moves a message to the DLQ. The run compresses time (visibility 3 s, not
# 60 s), so a healthy message can gain receives a production queue would not give it: a batch
# held back by a crash, a consumer's death, a heartbeat late by 2 s on a loaded machine. Poison
# is let go at once and reaches any count within a second; healthy messages never get near 6.
# The result still has to be exact: the DLQ holds the poison bodies and nothing else.
MAX_RECEIVES = 6


class Crash(Exception):
    """A failed message: the pipeline raised after a durable write."""


class ProcessDeath(BaseException):
    """The process died after a durable write: the consumer is gone and must be restarted."""


@dataclass
class Report:
    """What was sent, what went wrong on purpose, and whether the result equals a clean pass."""

    records: int = 0
    cost_events: int = 0
    duplicates_same_id: int = 0
    duplicates_late: int = 0
    poison_sent: int = 0
    crashes: dict[str, int] = field(default_factory=dict)
    deaths: int = 0
    restarts: int = 0
    redelivered: int = 0
    dlq: int = 0
    dlq_bodies: list[str] = field(default_factory=list)
    seconds: float = 0.0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chaos pass equals the clean pass."""
        return not self.mismatches

    def lines(self) -> list[str]:
        """The report, for people."""
        crashes = ", ".join(f"{k} {v}" for k, v in self.crashes.items())
        return [
            f"records sent {self.records} ({self.cost_events} cost events), "
            f"duplicates {self.duplicates_same_id} same-id + {self.duplicates_late} late, "
            f"poison {self.poison_sent}",
            f"crashes after: {crashes}; of them process deaths {self.deaths}, "
            f"consumer restarts {self.restarts}",
            f"messages redelivered {self.redelivered}, DLQ {self.dlq}, {self.seconds:.1f} s",
            "result: identical to a clean pass"
            if self.ok
            else "result: MISMATCH\n  " + "\n  ".join(self.mismatches),
        ]


def scenario_records(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` generated CloudTrail records (70 % cost-relevant), in event-time order."""
    days = max(10, count // 90)
    events = generate(Config(days=days, seed=seed, accounts=4, noise_ratio=0.3), CataloguePrices())
    events.sort(key=lambda e: e.when)
    return [e.record for e in events[:count]]


def poison_bodies() -> list[str]:
    """Messages that can never be processed."""
    return [
        "not json",
        "",
        "[]",
        '{"hello": "world"}',
        '{"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances"}',
        '{"Records": [{"eventName": 7}]}',
        '{"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com"',
        "x" * (POISON_LIMIT + 1),
    ]


async def _fresh(accounts: set[str]) -> Store:
    store = memory_store()
    now = datetime.now(UTC)
    await store.start(now)
    await store.tenants.ensure(TENANT, now)
    for account in accounts:
        await store.accounts.attach(TENANT, account, now)
    return store


def _account(record: dict[str, Any]) -> str:
    return str(record.get("recipientAccountId") or record["userIdentity"]["accountId"])


class Faults:
    """Crashes after chosen (step, eventID) pairs, each once; half of them kill the process."""

    def __init__(self, targets: dict[tuple[str, str], bool]) -> None:
        self.targets = targets
        self.fired: dict[str, int] = {}
        self.deaths = 0

    def __call__(self, step: str, event_id: str) -> None:
        deadly = self.targets.pop((step, event_id), None)
        if deadly is None:
            return
        self.fired[step] = self.fired.get(step, 0) + 1
        if deadly:
            self.deaths += 1
            raise ProcessDeath(f"{step} {event_id}")
        raise Crash(f"{step} {event_id}")


async def clean_pass(
    records: list[dict[str, Any]], catalogue: Catalogue
) -> tuple[Store, dict[str, list[str]]]:
    """The reference: every record once, in order; also which events reach which step."""
    reached: dict[str, list[str]] = {step: [] for step in STEPS}
    store = await _fresh({_account(r) for r in records})
    pipeline = Pipeline(
        store, catalogue, fault=lambda step, event_id: reached[step].append(event_id)
    )
    for n, record in enumerate(records):
        await pipeline.handle(Message(f"clean-{n}", "-", orjson.dumps(record).decode()))
    return store, reached


def choose_targets(
    reached: dict[str, list[str]],
    order: dict[str, int],
    per_step: int,
    rng: random.Random,
    gap: int = 40,
) -> dict[tuple[str, str], bool]:
    """`per_step` events per step to crash after; every other one a process death.

    Crashes are rare events: no two targets lie within `gap` records of each other, so one
    message is not caught in several crashed batches (three receives send it to the DLQ).
    """
    targets: dict[tuple[str, str], bool] = {}
    taken: list[int] = []
    for step, event_ids in reached.items():
        pool = list(dict.fromkeys(event_ids))
        rng.shuffle(pool)
        chosen = 0
        for event_id in pool:
            where = order[event_id]
            if chosen == per_step or any(abs(where - t) < gap for t in taken):
                continue
            targets[(step, event_id)] = chosen % 2 == 1
            taken.append(where)
            chosen += 1
    return targets


def deliveries(
    records: list[dict[str, Any]], share: float, rng: random.Random, report: Report
) -> list[tuple[str, str, str]]:
    """(body, group, dedup id) in send order: records, duplicates and poison interleaved.

    A duplicate comes after its original, either at once with the same deduplication id (SQS
    drops it within its 5-minute window) or later with another one (the product must). Poison
    goes anywhere.
    """
    keyed: list[tuple[float, tuple[str, str, str]]] = []
    for n, record in enumerate(records):
        body, group, event_id = orjson.dumps(record).decode(), _account(record), record["eventID"]
        keyed.append((n, (body, group, event_id)))
        if rng.random() < share / 2:
            keyed.append((n + 0.1, (body, group, event_id)))
            report.duplicates_same_id += 1
        elif rng.random() < share / (2 - share):
            later = rng.uniform(n + 0.5, len(records))
            keyed.append((later, (body, group, f"{event_id}-again")))
            report.duplicates_late += 1
    groups = sorted({_account(r) for r in records})
    for n, body in enumerate(poison_bodies()):
        keyed.append((rng.uniform(0, len(records)), (body, groups[n % len(groups)], f"poison-{n}")))
    report.poison_sent = len(poison_bodies())
    keyed.sort(key=lambda item: item[0])
    return [item for _, item in keyed]


async def _send(sqs: Any, queue_url: str, items: list[tuple[str, str, str]]) -> None:
    for start in range(0, len(items), 10):
        entries = [
            {"Id": str(n), "MessageBody": b, "MessageGroupId": g, "MessageDeduplicationId": d}
            for n, (b, g, d) in enumerate(items[start : start + 10])
        ]
        response = await sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"send failed: {response['Failed'][:1]}")


async def feed(
    sqs: Any, queue_url: str, items: list[tuple[str, str, str]], backlog: int = 200
) -> None:
    """Send everything, keeping at most about `backlog` messages queued (events arrive over time).

    moto scans every message of a queue on each receive, so a deep backlog would measure moto.
    """
    for start in range(0, len(items), 50):
        while await _depth(sqs, queue_url) > backlog:
            await asyncio.sleep(0.05)
        await _send(sqs, queue_url, items[start : start + 50])


async def _depth(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)
    return sum(int(got["Attributes"][n]) for n in names)


class _Counting:
    """Counts redeliveries on the way into the pipeline."""

    def __init__(self, pipeline: Pipeline, report: Report) -> None:
        self.pipeline, self.report = pipeline, report

    async def handle(self, message: Message) -> Any:
        if message.receive_count > 1:
            self.report.redelivered += 1
        return await self.pipeline.handle(message)


async def _consumer_forever(
    make: Callable[[], Consumer], report: Report, running: list[Consumer]
) -> None:
    """Run a consumer; when its process 'dies', start a new one (a restarted replica)."""
    while True:
        consumer = make()
        running.append(consumer)
        try:
            await consumer.run()
            return
        except* ProcessDeath:
            report.restarts += 1
        finally:
            running.remove(consumer)


async def chaos_pass(
    endpoint: str,
    records: list[dict[str, Any]],
    catalogue: Catalogue,
    faults: Faults,
    report: Report,
    *,
    duplicates: float,
    rng: random.Random,
    timeout: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> tuple[Store, list[str]]:
    """Send everything to SQS, let two crashing consumers drain it; the store and DLQ bodies."""
    store = await _fresh({_account(r) for r in records})
    session = aioboto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )  # moto's server on 127.0.0.1 takes any credentials
    async with sqs_client(session, endpoint) as sqs:
        urls = await create_queues(
            sqs, unique_name("chaos"), visibility_timeout=3, max_receive_count=MAX_RECEIVES
        )
        feeder = asyncio.create_task(
            feed(sqs, urls.queue_url, deliveries(records, duplicates, rng, report))
        )
        running: list[Consumer] = []
        async with sqs_client(session, endpoint) as one, sqs_client(session, endpoint) as two:
            tasks = []
            for client in (one, two):
                make = functools.partial(
                    _make, client, urls.queue_url, store, catalogue, faults, report
                )
                tasks.append(asyncio.create_task(_consumer_forever(make, report, running)))
            deadline = time.monotonic() + timeout
            while not feeder.done() or await _depth(sqs, urls.queue_url):
                if time.monotonic() > deadline:
                    break
                depth = await _depth(sqs, urls.queue_url)
                if progress is not None:
                    progress(f"queue depth {depth}, redelivered {report.redelivered}")
                await asyncio.sleep(0.5)
            feeder.cancel()
            if feeder.done() and not feeder.cancelled() and feeder.exception() is not None:
                raise RuntimeError("sending failed") from feeder.exception()
            for consumer in list(running):
                consumer.stop()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=30)
        return store, await _drain_bodies(sqs, urls.dlq_url)


async def _drain_bodies(sqs: Any, url: str) -> list[str]:
    """Every message body in the queue (received and deleted: the run is over)."""
    bodies: list[str] = []
    while await _depth(sqs, url):
        got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = got.get("Messages", [])
        bodies.extend(m["Body"] for m in messages)
        for m in messages:
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def _make(
    sqs: Any, url: str, store: Store, catalogue: Catalogue, faults: Faults, report: Report
) -> Consumer:
    pipeline = Pipeline(store, catalogue, fault=faults, max_body_bytes=POISON_LIMIT)
    config = ConsumerConfig(queue_url=url, pollers=2, wait_seconds=1, visibility_timeout=3)
    return Consumer(sqs, _Counting(pipeline, report), config)


def _baseline_diffs(clean: list[Baseline], chaos: list[Baseline]) -> list[str]:
    want, got = {b.key: b for b in clean}, {b.key: b for b in chaos}
    if want.keys() != got.keys():
        return [f"baselines differ: {len(want)} clean vs {len(got)} chaos"]
    out = []
    for key, baseline in want.items():
        other = got[key]
        fields = list(baseline._fields)
        differ = [f for f in fields if getattr(baseline, f) != getattr(other, f)]
        if differ:
            detail = {f: (getattr(baseline, f), getattr(other, f)) for f in differ if f == "stats"}
            out.append(f"baseline {key.service}/{key.resource_type} differs in {differ} {detail}")
    return out


def _profile_diffs(clean: list[Profile], chaos: list[Profile]) -> list[str]:
    out = []
    for want, got in zip(clean, chaos, strict=False):
        differ = [name for name in want._fields if getattr(want, name) != getattr(got, name)]
        if differ:
            out.append(f"profile {want.key.principal} differs in {differ}")
    return out[:5]


async def compare(clean: Store, chaos: Store) -> list[str]:
    """Every difference between the two stores that matters."""
    problems = []
    problems.extend(
        _baseline_diffs(
            await clean.baselines.for_tenant(TENANT), await chaos.baselines.for_tenant(TENANT)
        )
    )
    profiles = (await clean.profiles.for_tenant(TENANT), await chaos.profiles.for_tenant(TENANT))
    if profiles[0] != profiles[1]:
        problems.append(f"profiles differ: {len(profiles[0])} clean vs {len(profiles[1])} chaos")
        problems.extend(_profile_diffs(profiles[0], profiles[1]))
    want = {a.id: a.severity for a in await clean.anomalies.recent(TENANT, limit=100_000)}
    got = {a.id: a.severity for a in await chaos.anomalies.recent(TENANT, limit=100_000)}
    if want != got:
        problems.append(f"anomalies differ: {len(want)} clean vs {len(got)} chaos")
    events = (await clean.events.count(TENANT), await chaos.events.count(TENANT))
    if events[0] != events[1]:
        problems.append(f"stored events differ: {events[0]} clean vs {events[1]} chaos")
    done = await chaos.connection.db["cost_events"].count_documents({"step": {"$lt": 5}})
    if done:
        problems.append(f"{done} events stopped half-way")
    if await clean.resources.burn_rate(TENANT) != await chaos.resources.burn_rate(TENANT):
        problems.append("live inventory differs")
    return problems


async def run(
    endpoint: str,
    *,
    events: int = 5000,
    duplicates: float = 0.2,
    seed: int = 1,
    per_step: int = 6,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The whole chaos run against moto's server at `endpoint`."""
    rng = random.Random(seed)
    catalogue = load_catalogue()
    records = scenario_records(events, seed)
    report = Report(records=len(records))
    clean, reached = await clean_pass(records, catalogue)
    report.cost_events = await clean.events.count(TENANT)
    order = {str(r.get("eventID")): n for n, r in enumerate(records)}
    faults = Faults(choose_targets(reached, order, per_step, rng))
    began = time.perf_counter()
    chaos, report.dlq_bodies = await chaos_pass(
        endpoint,
        records,
        catalogue,
        faults,
        report,
        duplicates=duplicates,
        rng=rng,
        progress=progress,
    )
    report.seconds = time.perf_counter() - began
    report.dlq = len(report.dlq_bodies)
    report.crashes, report.deaths = faults.fired, faults.deaths
    report.mismatches = await compare(clean, chaos)
    if faults.targets:
        report.mismatches.append(f"{len(faults.targets)} planned crashes never happened")
    rejected = {r.excerpt[:40] for r in await chaos.rejects.recent(limit=1000)}
    dlq_is_poison = sorted(report.dlq_bodies) == sorted(poison_bodies())
    if not dlq_is_poison or len(rejected) != report.poison_sent:
        report.mismatches.append(
            f"DLQ holds {report.dlq}, rejects {len(rejected)}, poison sent {report.poison_sent}"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run against a private moto server and print the counts."""
    parser = argparse.ArgumentParser(prog="python -m bench.chaos")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--duplicates", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print the queue depth as it drains")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # the injected crashes would log tracebacks
    with moto_process() as endpoint:
        report = asyncio.run(
            run(
                endpoint,
                events=args.events,
                duplicates=args.duplicates,
                seed=args.seed,
                progress=(lambda line: print(line, flush=True)) if args.verbose else None,
            )
        )
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
