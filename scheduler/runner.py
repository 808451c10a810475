"""Run a job once per period across replicas: done marker, lock with fencing, commit.

done already ─────────────────────────────► skipped
another replica holds a live lease ───────► busy
ran and committed under its own token ────► done
its lease ran out and another took over ──► lost (nothing committed)
raised ───────────────────────────────────► failed (lock released: the next tick retries)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from scheduler.errors import LostLockError
from scheduler.locks import Fence, Keys, Locks

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Every = Literal["minute", "hour", "day", "week"]
Outcome = Literal["done", "skipped", "busy", "lost", "failed"]
Work = Callable[[Fence], Awaitable[None]]

_STEP = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_EPOCH_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday: weeks start on Mondays


@dataclass(frozen=True, slots=True)
class Job:
    """A timed job: runs once per `every`, `offset` into the period (daily at 06:00: 6 h)."""

    name: str
    every: Every
    work: Work
    offset: timedelta = timedelta(0)
    lease: timedelta = timedelta(minutes=10)

    def period_start(self, now: datetime) -> datetime:
        """The start of the period `now` falls in: the latest scheduled time at or before it."""
        step = _STEP[self.every]
        since = now.astimezone(UTC) - _EPOCH_MONDAY - self.offset
        return _EPOCH_MONDAY + self.offset + step * (since // step)

    def period(self, now: datetime) -> str:
        """The period key: its scheduled start, to the minute, in UTC."""
        return self.period_start(now).strftime("%Y-%m-%dT%H:%MZ")

    @property
    def keep(self) -> timedelta:
        """How long the done marker is kept: two periods."""
        return _STEP[self.every] * 2


class JobRunner:
    """Runs jobs under their Redis locks; one per replica, all sharing a key prefix."""

    def __init__(self, redis: Any, prefix: str, clock: Clock) -> None:
        self._locks, self._prefix, self._clock = Locks(redis), prefix, clock

    def keys(self, job: Job, period: str) -> Keys:
        """The keys of one run of `job`."""
        base = f"{self._prefix}job:{job.name}"
        return Keys(lock=f"{base}:lock", fence=f"{base}:fence", done=f"{base}:done:{period}")

    async def run(self, job: Job) -> Outcome:
        """Run `job` for the current period unless it ran or is running elsewhere."""
        now = self._clock()
        keys = self.keys(job, job.period(now))
        token = await self._locks.acquire(keys, now, job.lease)
        if token <= 0:
            return "skipped" if token < 0 else "busy"
        extra = {"job": job.name, "period": job.period(now), "token": token}
        try:
            await job.work(Fence(self._locks, keys, token, self._clock))
        except LostLockError:
            logger.warning("job lost its lock; another replica took it over", extra=extra)
            return "lost"
        except Exception:  # the job's edge (STYLE §5): log, unlock, let the next tick retry
            logger.exception("job failed", extra=extra)
            await self._locks.release(keys, token)
            return "failed"
        if not await self._locks.commit(keys, token, self._clock(), job.keep):
            logger.warning("job finished after losing its lock; not committed", extra=extra)
            return "lost"
        logger.info("job done", extra=extra)
        return "done"
