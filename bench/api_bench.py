"""REST API benchmark: `GET /v1/anomalies` latency at a fixed request rate, and the server's RSS.

    python -m bench.api_bench [--anomalies 100000] [--rate 100] [--seconds 5] [--deadline 30]
                              [--also 1000] [--mongodb-uri URI] [--quick]

A server process (the real /v1 routes, real Redis for the key's rate limit, the in-process
store) is seeded with `--anomalies` anomalies of one workspace, then:

1. the API alone: `GET /v1/accounts` (a 3-document collection) in an open loop at `--rate` for
   `--seconds`: key check, rate limit in Redis, JSON; the store costs next to nothing here;
2. service time: a few anomaly requests one after another (first page, 50 anomalies);
3. open loop: `--rate` requests a second for `--seconds` (first pages, filtered pages and
   cursor pages mixed), each timed from its scheduled start (so queueing counts: no coordinated
   omission); a request not answered within `--deadline` seconds counts as slower than it;
4. RSS (VmRSS after seeding, VmHWM after the load) of the server process.

The in-process store (mongomock) scans and copies every document of a query; MongoDB answers
these pages from the `tenant_created_id` index. So these figures are a floor for the service:
they measure the fake store far more than the API. `--mongodb-uri` (a URI without a database
name) runs the same against a real MongoDB, in a database of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from api import ApiServices, Authenticator, RateLimit, api_routes
from storage import memory_store, open_store
from storage.anomalies import StoredAnomaly

REDIS_URL = "redis://127.0.0.1:6379/0"
SERVICE_DEADLINE = 600.0  # one request at a time: wait for it however slow the store is
TENANT = "T_BENCH"
SEVERITIES = ("info", "warning", "critical")
PATHS = (
    "/v1/anomalies?limit=50",
    "/v1/anomalies?limit=50&severity=critical",
    "/v1/anomalies?limit=50&status=open&account=111122223333",
)


def _rss_kib(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    return 0


def _documents(count: int, now: datetime) -> list[dict[str, object]]:
    accounts = ("111122223333", "222233334444", "333344445555")
    return [
        StoredAnomaly(
            _id=f"evt-{i:08d}",
            tenant_id=TENANT,
            account_id=accounts[i % 3],
            region="us-east-1",
            service="ec2",
            resource_type="ec2:instance",
            resource_ids=[f"i-{i:017x}"],
            size="p4d.24xlarge",
            event_name="RunInstances",
            event_time=now - timedelta(seconds=i),
            estimated_hourly_cost=32.77,
            severity=SEVERITIES[i % 3],
            score=0.8,
            reasons=["$32.77/h, never launched here"],
            created_at=now - timedelta(seconds=i),
        ).to_mongo()
        for i in range(count)
    ]


async def _serve(count: int, prefix: str, uri: str | None, pipe: Connection) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    store = open_store(uri, database=_database(prefix)) if uri else memory_store()
    await store.start(now)
    await store.tenants.ensure(TENANT, now)
    collection = store.connection.db["anomalies"]
    docs = _documents(count, now)
    for start in range(0, count, 10_000):
        await collection.insert_many(docs[start : start + 10_000])
    del docs
    made = await store.api_keys.create(TENANT, "bench", "read", "U_BENCH", now)
    assert made is not None
    redis = aioredis.from_url(REDIS_URL)
    await redis.ping()
    auth = Authenticator(store, RateLimit(redis, prefix, 1_000_000), lambda: datetime.now(UTC))
    services = ApiServices(store, auth, lambda: datetime.now(UTC))
    app = web.Application()
    app.add_routes(api_routes(lambda: services))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    pipe.send((port, made.secret))
    await asyncio.Event().wait()  # until terminated


def _server(count: int, prefix: str, uri: str | None, pipe: Connection) -> None:
    asyncio.run(_serve(count, prefix, uri, pipe))


def _database(prefix: str) -> str:
    return "dd0c_bench_" + prefix.split(":")[2]


@dataclass
class Figures:
    """What one run measured."""

    anomalies: int
    rate: int
    sent: int = 0
    answered: int = 0
    errors: int = 0
    service_ms: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    accounts: Figures | None = None
    rss_kib: int = 0
    peak_kib: int = 0
    seed_s: float = 0.0

    def percentile(self, q: float, deadline_ms: float) -> str:
        """The q-th percentile over every request sent (unanswered ones count as > deadline)."""
        if not self.sent:
            return "n/a"
        rank = max(1, math.ceil(q / 100 * self.sent))
        ordered = sorted(self.latencies_ms)
        if rank > len(ordered):
            return f"> {deadline_ms / 1000:.0f} s (unanswered)"
        return f"{ordered[rank - 1]:.1f} ms"


async def _one(
    session: aiohttp.ClientSession, url: str, key: str, at: float, deadline: float, f: Figures
) -> str | None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    try:
        async with asyncio.timeout(deadline - (time.perf_counter() - at)):
            async with session.get(url, headers={"Authorization": f"Bearer {key}"}) as answer:
                body = await answer.json(content_type=None)
                if answer.status != 200:
                    f.errors += 1
                    return None
    except TimeoutError:
        return None
    except (aiohttp.ClientError, ValueError):
        f.errors += 1
        return None
    f.answered += 1
    f.latencies_ms.append((time.perf_counter() - at) * 1000)
    return body.get("nextCursor") if isinstance(body, dict) else None


async def _open_loop(
    session: aiohttp.ClientSession,
    base: str,
    key: str,
    args: argparse.Namespace,
    f: Figures,
    paths: Callable[[int], str],
) -> None:
    total = int(args.rate * args.seconds)
    start = time.perf_counter() + 0.5
    tasks = [
        asyncio.create_task(
            _one(session, base + paths(i), key, start + i / args.rate, args.deadline, f)
        )
        for i in range(total)
    ]
    f.sent = total
    await asyncio.gather(*tasks)


async def _load(base: str, key: str, args: argparse.Namespace, f: Figures) -> None:
    timeout = aiohttp.ClientTimeout(total=None)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        f.accounts = Figures(0, args.rate)
        await _open_loop(session, base, key, args, f.accounts, lambda i: "/v1/accounts")
        for _ in range(3):
            started = time.perf_counter()
            await _one(session, base + PATHS[0], key, started, SERVICE_DEADLINE, Figures(0, 0))
            f.service_ms.append((time.perf_counter() - started) * 1000)
        cursor = await _one(session, base + PATHS[0], key, time.perf_counter(), args.deadline, f)
        f.answered, f.latencies_ms = 0, []

        def path(i: int) -> str:
            if i % 4 == 3 and cursor:
                return f"/v1/anomalies?limit=50&cursor={cursor}"
            return PATHS[i % len(PATHS)]

        await _open_loop(session, base, key, args, f, path)


def run(count: int, args: argparse.Namespace) -> Figures:
    """Seed a server with `count` anomalies, measure, stop it."""
    figures = Figures(count, args.rate)
    prefix = f"bench:api:{uuid.uuid4().hex[:10]}:"
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    started = time.perf_counter()
    uri = args.mongodb_uri
    server = ctx.Process(target=_server, args=(count, prefix, uri, child), daemon=True)
    server.start()
    try:
        if not parent.poll(timeout=1800):
            raise RuntimeError("the API server did not start")
        port, key = parent.recv()
        figures.seed_s = time.perf_counter() - started
        assert server.pid is not None
        figures.rss_kib = _rss_kib(server.pid, "VmRSS")
        asyncio.run(_load(f"http://127.0.0.1:{port}", key, args, figures))
        figures.peak_kib = _rss_kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.join(10)
        asyncio.run(_forget(prefix, uri))
    return figures


async def _forget(prefix: str, uri: str | None) -> None:
    if uri:
        store = open_store(uri, database=_database(prefix))
        await store.connection.client.drop_database(_database(prefix))
        await store.close()
    redis = aioredis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def report(f: Figures, deadline: float, store: str = "in-process store") -> str:
    """The figures as text."""
    deadline_ms = deadline * 1000
    service = ", ".join(f"{ms:.0f}" for ms in f.service_ms)
    a = f.accounts or Figures(0, 0)
    return "\n".join(
        [
            f"{f.anomalies:,} anomalies in one workspace ({store})",
            f"  seeding + start-up {f.seed_s:.1f} s; server RSS {f.rss_kib / 1024:.0f} MiB after "
            f"seeding, peak {f.peak_kib / 1024:.0f} MiB after the load",
            f"  GET /v1/accounts, open loop {a.rate} req/s: {a.answered}/{a.sent} answered, "
            f"{a.errors} errors; p50 {a.percentile(50, deadline_ms)}, "
            f"p99 {a.percentile(99, deadline_ms)}",
            "  GET /v1/anomalies:",
            f"  service time, one request at a time: {service} ms",
            f"  open loop {f.rate} req/s × {f.sent / max(f.rate, 1):.0f} s = {f.sent} requests: "
            f"{f.answered} answered within {deadline:.0f} s, {f.errors} errors",
            f"  latency p50 {f.percentile(50, deadline_ms)}, p95 {f.percentile(95, deadline_ms)}, "
            f"p99 {f.percentile(99, deadline_ms)}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anomalies", type=int, default=100_000)
    parser.add_argument("--also", type=int, action="append", default=[], help="more sizes")
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--deadline", type=float, default=30.0)
    parser.add_argument("--mongodb-uri", default=None, help="a real MongoDB (no database name)")
    parser.add_argument("--quick", action="store_true", help="200 anomalies, 1 s (CI)")
    args = parser.parse_args(argv)
    sizes = [200] if args.quick else [*args.also, args.anomalies]
    if args.quick:
        args.seconds, args.rate = 1.0, 20
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    for count in sizes:
        store = "MongoDB" if args.mongodb_uri else "in-process store"
        print(report(run(count, args), args.deadline, store), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
