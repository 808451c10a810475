"""The APScheduler wrapper: triggers at the start of each period, and the start-up catch-up
that runs a missed period once however many replicas start, never once per missed period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from scheduler import Fence, Job, JobRunner, Scheduler, trigger_for
from tests.scheduler.conftest import Clock


def test_triggers_fire_at_the_start_of_each_period() -> None:
    async def nothing(fence: Fence) -> None:
        return None

    after = datetime(2026, 12, 2, 10, 15, 30, tzinfo=UTC)
    cases = {
        Job("h", "hour", nothing, offset=timedelta(minutes=5)): datetime(2026, 12, 2, 11, 5),
        Job("d", "day", nothing, offset=timedelta(hours=9)): datetime(2026, 12, 3, 9, 0),
        Job("w", "week", nothing, offset=timedelta(hours=7)): datetime(2026, 12, 7, 7, 0),
        Job("m", "minute", nothing): datetime(2026, 12, 2, 10, 16),
    }
    for job, expected in cases.items():
        fire = trigger_for(job).get_next_fire_time(None, after)
        assert fire == expected.replace(tzinfo=UTC), job.name
        assert job.period_start(fire) == fire  # a fire starts a period


async def test_replicas_starting_after_an_outage_run_the_missed_period_once(
    redis: aioredis.Redis, prefix: str, clock: Clock
) -> None:
    runs: list[datetime] = []

    async def digest(fence: Fence) -> None:
        runs.append(clock())

    job = Job("daily", "day", digest, offset=timedelta(hours=9))
    # Every replica was down at 09:00 on the 1st and the 2nd; they come back at 10:15 on the 2nd.
    replicas = [Scheduler(JobRunner(redis, prefix, clock), [job]) for _ in range(3)]
    for replica in replicas:
        await replica.start()
    for replica in replicas:
        await replica.idle()
    try:
        assert len(runs) == 1
        outcomes = sorted(o for r in replicas for _, o in r.outcomes)
        assert outcomes.count("done") == 1 and len(outcomes) == 3
        clock.now += timedelta(days=1)  # the scheduled fire of the next day, on every replica
        for replica in replicas:
            await replica.fire(job)
        assert len(runs) == 2
    finally:
        for replica in replicas:
            await replica.stop()
