"""The real Redis at 127.0.0.1:6379, shared with other test runs: every test gets its own key
prefix and deletes only its own keys afterwards (never FLUSHDB). No Redis fails the test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis

REDIS_URL = "redis://127.0.0.1:6379/0"


def unique_prefix(what: str = "test") -> str:
    """A key prefix no other test uses: `t:<what>:<uuid>:`."""
    return f"t:{what}:{uuid.uuid4().hex[:12]}:"


@asynccontextmanager
async def isolated_redis(prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A client on the real Redis; the keys under `prefix` are deleted on exit."""
    client = aioredis.from_url(REDIS_URL, socket_timeout=2.0, socket_connect_timeout=2.0)
    await client.ping()  # fail, never skip, when Redis is missing
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
