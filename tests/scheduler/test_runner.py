"""Job runs across replicas on the real Redis, with a fake clock (no sleeps): once per period,
a killed holder's run happens again after its lease (once), a paused holder cannot commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from scheduler import Fence, Job, JobRunner
from tests.scheduler.conftest import Clock


class Counter:
    """Work that counts its runs and can be held mid-run."""

    def __init__(self) -> None:
        self.runs = 0
        self.committed = 0
        self.started = asyncio.Event()
        self.hold: asyncio.Event | None = None

    async def __call__(self, fence: Fence) -> None:
        self.runs += 1
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        await fence.check()  # before the side effect
        self.committed += 1


def hourly(work: Counter, lease: timedelta = timedelta(minutes=10)) -> Job:
    return Job("count", "hour", work, offset=timedelta(minutes=5), lease=lease)


@pytest.mark.parametrize(
    ("every", "offset", "now", "start"),
    [
        ("hour", timedelta(minutes=5), "2026-12-02T10:15", "2026-12-02T10:05"),
        ("hour", timedelta(minutes=5), "2026-12-02T10:04", "2026-12-02T09:05"),
        ("day", timedelta(hours=9), "2026-12-02T08:59", "2026-12-01T09:00"),
        ("day", timedelta(hours=9), "2026-12-02T09:00", "2026-12-02T09:00"),
        ("week", timedelta(hours=7), "2026-12-02T10:15", "2026-11-30T07:00"),  # Monday 07:00
        ("minute", timedelta(0), "2026-12-02T10:15", "2026-12-02T10:15"),
    ],
)
def test_the_period_is_the_latest_scheduled_time(
    every: str, offset: timedelta, now: str, start: str
) -> None:
    job = Job("j", every, Counter(), offset=offset)  # type: ignore[arg-type]  # table value
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert job.period_start(moment) == datetime.fromisoformat(start).replace(tzinfo=UTC)


async def test_two_replicas_run_each_period_once(
    redis: aioredis.Redis, prefix: str, clock: Clock
) -> None:
    work = Counter()
    job = hourly(work)
    a, b = JobRunner(redis, prefix, clock), JobRunner(redis, prefix, clock)
    outcomes = await asyncio.gather(*(r.run(job) for r in (a, b, a, b)))
    assert sorted(outcomes).count("done") == 1 and work.runs == 1
    assert set(outcomes) <= {"done", "busy", "skipped"}
    assert await b.run(job) == "skipped"
    clock.now += timedelta(hours=1)  # the next period
    outcomes = list(await asyncio.gather(a.run(job), b.run(job)))
    assert sorted(outcomes) in (["busy", "done"], ["done", "skipped"]) and work.runs == 2


async def test_a_killed_holder_runs_again_after_its_lease_once(
    redis: aioredis.Redis, prefix: str, clock: Clock
) -> None:
    work = Counter()
    work.hold = asyncio.Event()
    job = hourly(work)
    dying = asyncio.create_task(JobRunner(redis, prefix, clock).run(job))
    await work.started.wait()
    dying.cancel()  # the replica dies mid-run: its lock stays in Redis
    await asyncio.gather(dying, return_exceptions=True)
    work.hold = None
    survivor = JobRunner(redis, prefix, clock)
    assert await survivor.run(job) == "busy"  # the lease is still live
    clock.now += timedelta(minutes=9)
    assert await survivor.run(job) == "busy"
    clock.now += timedelta(minutes=2)  # past the 10-minute lease, same period
    assert await survivor.run(job) == "done"
    assert await survivor.run(job) == "skipped"
    assert await JobRunner(redis, prefix, clock).run(job) == "skipped"
    assert (work.runs, work.committed) == (2, 1)


async def test_a_paused_holder_cannot_finish_a_run_taken_over(
    redis: aioredis.Redis, prefix: str, clock: Clock
) -> None:
    slow, fast = Counter(), Counter()
    slow.hold = asyncio.Event()
    paused = asyncio.create_task(JobRunner(redis, prefix, clock).run(hourly(slow)))
    await slow.started.wait()
    clock.now += timedelta(minutes=11)  # the first replica stalls past its lease
    assert await JobRunner(redis, prefix, clock).run(hourly(fast)) == "done"
    slow.hold.set()  # it wakes up and tries to carry on
    assert await paused == "lost"
    assert (slow.committed, fast.committed) == (0, 1)


async def test_a_failed_run_is_retried_by_the_next_tick(
    redis: aioredis.Redis, prefix: str, clock: Clock
) -> None:
    calls = []

    async def flaky(fence: Fence) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("MongoDB went away")

    job = Job("flaky", "hour", flaky)
    runner = JobRunner(redis, prefix, clock)
    assert await runner.run(job) == "failed"
    assert await runner.run(job) == "done"
    assert len(calls) == 2
