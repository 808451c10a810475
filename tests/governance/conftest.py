"""Fixtures for governance tests: a migrated in-process store and the real Redis, isolated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from storage import Store
from tests.redisdb import isolated_redis, unique_prefix
from tests.stores import fresh_store


@pytest.fixture
def prefix() -> str:
    """This test's Redis key prefix."""
    return unique_prefix("gov")


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[aioredis.Redis]:
    """The real Redis; this test's keys are removed afterwards."""
    async with isolated_redis(prefix) as client:
        yield client


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """A fresh, migrated in-process store."""
    store = await fresh_store()
    yield store
    await store.close()
