"""Timed jobs (APScheduler 3 inside the service), each run once per period across replicas
behind a Redis lock with a fencing token: the daily digest, governance promotion, the hourly
purge, the weekly zombie scan and snooze expiry."""

from __future__ import annotations

from scheduler.errors import LostLockError, SchedulerError
from scheduler.locks import Fence, Keys, Locks
from scheduler.runner import Job, JobRunner, Outcome
from scheduler.service import Scheduler, trigger_for

__all__ = [
    "Fence",
    "Job",
    "JobRunner",
    "Keys",
    "Locks",
    "LostLockError",
    "Outcome",
    "Scheduler",
    "SchedulerError",
    "trigger_for",
]
