"""Alert benchmark: SQS receive → card posted to the fake Slack, with governance in the path.

    python -m bench.alert_bench [--rate 100] [--seconds 20] [--pollers 2] [--peer lean|moto]

A steady stream of generated CloudTrail records at `--rate` messages/s goes through SQS (the lean
peer by default, see bench.sqs_peer) into one `Consumer` + `Pipeline` on an in-process store; the
pipeline wakes the `Notifier`, which asks `Governance` (policy, panic keys on the real Redis under
a throw-away prefix, the stored verdict's fast path, snoozes) before posting each card to the
fake Slack Web API over HTTP. Every tenth message is a p4d.24xlarge launch by a new principal in
a new (strict-mode) account: a fast-path alert that must post. Latency = the fake Slack's arrival
time of its card minus the wall clock just before its `send_message`. The goal is p99 ≤ 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
import redis.asyncio as aioredis

from bench.chaos import _account, scenario_records
from bench.ingest_bench import (
    LAUNCH_ACCOUNT,
    TENANT,
    Watch,
    accounts_of,
    consuming,
    fresh_store,
    launch,
    new_queue,
    percentile,
    session,
    wait_until,
)
from bench.local_aws import send, sqs_client
from bench.slack_fake import FakeSlack
from bench.sqs_peer import sqs_peer
from bot.notifier import Notifier
from governance import Governance, PanicSwitch, load_policy
from ingest.pipeline import Pipeline
from pricing import load_catalogue

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

TOKEN = "xoxb-bench"
CHANNEL = "CBENCH"
GOAL_P99_MS = 250.0


class Recipients:
    """The benchmark's one workspace (the installation lookups are not what is measured)."""

    async def bot_token(self, tenant_id: str) -> str | None:
        """The bench token."""
        return TOKEN

    async def alert_channel(self, tenant_id: str) -> str | None:
        """The bench channel."""
        return CHANNEL

    async def installer_user(self, tenant_id: str) -> str | None:
        """Nobody."""
        return None

    async def deactivate(self, tenant_id: str, reason: str) -> None:
        """Never happens here."""


@dataclass
class Result:
    """Latencies of the launches' cards, and what happened to the rest."""

    sent: int
    launches: int
    latencies_ms: list[float]
    cards: int
    send_seconds: float
    decisions: dict[str, int]
    recorded_ms: list[float]  # send → anomaly record: the ingest part of the latency

    def figure(self, share: float) -> float:
        """A percentile in ms (NaN when no card arrived)."""
        return percentile(self.latencies_ms, share) if self.latencies_ms else math.nan


async def measure(endpoint: str, rate: float, seconds: float, pollers: int) -> Result:
    """Stream `rate × seconds` messages and time each launch's card."""
    background = scenario_records(max(1, round(rate * seconds)), seed=3)
    store = await fresh_store(accounts_of(background) | {LAUNCH_ACCOUNT})
    prefix = f"bench:{uuid.uuid4().hex[:12]}:"
    redis = aioredis.from_url("redis://127.0.0.1:6379/0")
    governance = Governance(
        store, PanicSwitch(redis, prefix), load_policy(), lambda: datetime.now(UTC)
    )
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        slack.add_workspace(TOKEN, team_id=TENANT, bot_user_id="UBENCH")
        notifier = Notifier(
            store,
            Recipients(),
            api_url=slack.base_url,
            gate=governance,
            concurrency=8,
            session=http,  # one connection pool, as the service's notifier keeps
        )
        stop = asyncio.Event()
        notifying = asyncio.create_task(notifier.run(stop))
        pipeline = Pipeline(store, load_catalogue(), on_anomaly=notifier.wake)
        watch = Watch(pipeline)
        offset = time.time() - time.monotonic()  # the fake records arrivals on the monotonic clock
        async with (
            sqs_client(session(), endpoint) as sqs,
            sqs_client(session(), endpoint) as sender,
        ):
            urls = await new_queue(sqs, "alert-latency")
            async with consuming(sqs, watch, urls.queue_url, pollers) as consumer:
                started = time.perf_counter()
                sent_at = await stream(sender, urls.queue_url, background, rate)
                send_seconds = time.perf_counter() - started
                await wait_until(lambda: consumer.stats.deleted >= len(background), 60 + seconds)
                await wait_until(lambda: _cards(slack, sent_at) >= len(sent_at), 30)
        stop.set()
        notifier.wake()
        await notifying
        latencies = _latencies(slack, sent_at, offset)
        cards = len(slack.calls_to("chat.postMessage"))
    decisions: dict[str, int] = {}
    for entry in await store.audit.recent(TENANT, limit=100_000):
        decisions[entry.kind] = decisions.get(entry.kind, 0) + 1
    await redis.aclose()
    recorded = [
        (a.created_at.replace(tzinfo=UTC).timestamp() - before) * 1000
        for e, before in sent_at.items()
        if (a := await store.anomalies.get(TENANT, e)) is not None
    ]
    return Result(
        len(background), len(sent_at), latencies, cards, send_seconds, decisions, recorded
    )


async def stream(
    sqs: SQSClient, queue_url: str, background: list[dict[str, Any]], rate: float
) -> dict[str, float]:
    """One message every 1/rate s, each send in its own task so a slow call does not hold the
    schedule back; every tenth a launch. The wall clock of each launch's send."""
    sent_at: dict[str, float] = {}
    sends: list[asyncio.Task[None]] = []
    started = time.monotonic()
    for index, plain in enumerate(background):
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        due = index % 10 == 5
        record = launch(index, datetime.now(UTC)) if due else plain
        body, group, event_id = orjson.dumps(record).decode(), _account(record), record["eventID"]
        if due:
            sent_at[event_id] = time.time()
        sends.append(asyncio.create_task(send(sqs, queue_url, body, group, event_id)))
    await asyncio.gather(*sends)
    return sent_at


def _posted(slack: FakeSlack) -> dict[str, float]:
    """Event id → monotonic arrival of its card (the card's footer names the event id)."""
    out: dict[str, float] = {}
    for call in slack.calls_to("chat.postMessage"):
        text = str(call.body.get("blocks"))
        start = text.find("id `")
        if start >= 0:
            out[text[start + 4 : text.find("`", start + 4)]] = call.at
    return out


def _cards(slack: FakeSlack, sent_at: dict[str, float]) -> int:
    posted = _posted(slack)
    return sum(1 for event_id in sent_at if event_id in posted)


def _latencies(slack: FakeSlack, sent_at: dict[str, float], offset: float) -> list[float]:
    posted = _posted(slack)
    return [(posted[e] + offset - before) * 1000 for e, before in sent_at.items() if e in posted]


def lines(result: Result, rate: float) -> list[str]:
    """The figures, for people."""
    shares = {"p50": 0.50, "p95": 0.95, "p99": 0.99, "max": 1.0}
    figures = ", ".join(f"{name} {result.figure(share):,.0f}" for name, share in shares.items())
    verdict = "meets" if result.figure(0.99) <= GOAL_P99_MS else "misses"
    return [
        f"latency SQS send → card in Slack: {figures} ms over {len(result.latencies_ms)} of "
        f"{result.launches} fast-path launches ({verdict} the p99 ≤ {GOAL_P99_MS:g} ms goal)",
        "  of which send → anomaly record: p50 "
        f"{_p(result.recorded_ms, 0.5):,.0f}, p99 {_p(result.recorded_ms, 0.99):,.0f} ms",
        f"  stream: {result.sent:,} messages in {result.send_seconds:.1f} s "
        f"({result.sent / result.send_seconds:,.1f} msg/s, target {rate:g}); "
        f"{result.cards} cards posted",
        "  governance decisions: "
        + ", ".join(
            f"{k.removeprefix('governance.')} {v}" for k, v in sorted(result.decisions.items())
        ),
    ]


def _p(values: list[float], share: float) -> float:
    return percentile(values, share) if values else math.nan


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.alert_bench")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pollers", type=int, default=2)
    parser.add_argument("--peer", choices=("lean", "moto"), default="lean")
    args = parser.parse_args(argv)

    async def run() -> list[str]:
        with sqs_peer(args.peer) as endpoint:
            return lines(await measure(endpoint, args.rate, args.seconds, args.pollers), args.rate)

    print("\n".join(asyncio.run(run())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
