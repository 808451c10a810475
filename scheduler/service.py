"""APScheduler 3 (AsyncIOScheduler) firing each job at the start of its period, in UTC.

Every fire goes through the `JobRunner`, so across replicas a period runs once. On start-up each
job is also run for its current period: if every replica was down at the scheduled time, the
missed run happens once now (the latest period only, never one per missed period).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.runner import Job, JobRunner, Outcome

logger = logging.getLogger(__name__)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def trigger_for(job: Job) -> CronTrigger:
    """The cron trigger that fires at the start of each of the job's periods (UTC)."""
    offset = job.offset
    minute, hour = int(offset.seconds // 60 % 60), int(offset.seconds // 3600)
    fields: dict[str, Any] = {"second": 0, "minute": minute}
    if job.every == "minute":
        fields["minute"] = "*"
    if job.every in ("day", "week"):
        fields["hour"] = hour
    if job.every == "week":
        fields["day_of_week"] = _WEEKDAYS[offset.days % 7]
    return CronTrigger(timezone=UTC, **fields)


class Scheduler:
    """The service's timed jobs; start inside the running loop, stop on shutdown."""

    def __init__(self, runner: JobRunner, jobs: Sequence[Job]) -> None:
        self._runner, self._jobs = runner, list(jobs)
        self._aps: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[Outcome]] = set()
        self.outcomes: list[tuple[str, Outcome]] = []

    @property
    def jobs(self) -> list[Job]:
        """The jobs, in the order they were given."""
        return list(self._jobs)

    async def start(self, catch_up: bool = True) -> None:
        """Schedule every job; with `catch_up`, run each one now for its current period."""
        self._aps = AsyncIOScheduler(timezone=UTC)
        for job in self._jobs:
            self._aps.add_job(
                self.fire,
                trigger=trigger_for(job),
                args=[job],
                id=job.name,
                coalesce=True,  # missed fires collapse into one
                max_instances=1,
                misfire_grace_time=None,
            )
        self._aps.start()
        if catch_up:
            for job in self._jobs:
                self._spawn(job)

    def _spawn(self, job: Job) -> None:
        task = asyncio.create_task(self.fire(job), name=f"job-{job.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def fire(self, job: Job) -> Outcome:
        """Run one job for the current period (through the lock); its outcome."""
        try:
            outcome = await self._runner.run(job)
        except Exception:  # Redis down: this tick is lost, the next one retries
            logger.exception("job could not run", extra={"job": job.name})
            outcome = "failed"
        self.outcomes.append((job.name, outcome))
        return outcome

    async def idle(self) -> None:
        """Wait for the runs started by `start` to end (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop firing; give running jobs `timeout` seconds, then cancel them."""
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
