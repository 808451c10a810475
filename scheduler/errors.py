"""Scheduler errors.

SchedulerError
 └─ LostLockError    the run's lock expired and another replica took it (fencing)
"""

from __future__ import annotations


class SchedulerError(Exception):
    """Base of every error raised by scheduler/."""


class LostLockError(SchedulerError):
    """This replica no longer holds the job's lock: stop before any further side effect."""
