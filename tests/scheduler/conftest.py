"""Fixtures for scheduler tests: the real Redis under this test's own prefix, a movable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from tests.redisdb import isolated_redis, unique_prefix


class Clock:
    """A clock the test moves (shared by every replica in a test)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def prefix() -> str:
    """This test's Redis key prefix."""
    return unique_prefix("sched")


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[aioredis.Redis]:
    """The real Redis; this test's keys are removed afterwards."""
    async with isolated_redis(prefix) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    """Wednesday 2026-12-02 10:15 UTC, moved by the test."""
    return Clock(datetime(2026, 12, 2, 10, 15, tzinfo=UTC))
