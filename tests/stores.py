"""Stores for tests: the in-process MongoDB fake behind storage's one client factory."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import Store, memory_store

# The fake enforces TTL indexes against the wall clock, so "now" in tests is the real now.
NOW = datetime.now(UTC).replace(microsecond=0)


async def fresh_store(now: datetime = NOW) -> Store:
    """A new, migrated in-process store."""
    store = memory_store()
    await store.start(now)
    return store
