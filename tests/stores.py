"""Stores for tests: the in-process MongoDB fake behind storage's one client factory, and — for
the storage contract suite — a real MongoDB when `DD0C_TEST_MONGODB_URI` names one."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from storage import Store, StoreUnavailableError, TokenCipher, memory_store
from storage.client import Connection

# The fake enforces TTL indexes against the wall clock, so "now" in tests is the real now.
NOW = datetime.now(UTC).replace(microsecond=0)
MONGODB_URI_VAR = "DD0C_TEST_MONGODB_URI"
SERVER_TIMEOUT_MS = 3000


async def fresh_store(now: datetime = NOW) -> Store:
    """A new, migrated in-process store."""
    store = memory_store()
    await store.start(now)
    return store


def store_kinds() -> list[str]:
    """The stores the contract suite runs on: always in-process; MongoDB when the URI is set."""
    return ["in-process", "mongodb"] if os.environ.get(MONGODB_URI_VAR) else ["in-process"]


@asynccontextmanager
async def contract_store(
    kind: str, cipher: TokenCipher | None = None, now: datetime = NOW
) -> AsyncIterator[Store]:
    """A new, migrated store of `kind`; on MongoDB, a database of its own, dropped afterwards.

    A set but unreachable `DD0C_TEST_MONGODB_URI` fails the test (never a skip): an operator
    who asked for the real server must not get a green run without it.
    """
    if kind == "in-process":
        store = memory_store(cipher)
    else:
        store = _mongodb_store(os.environ[MONGODB_URI_VAR], cipher)
        try:
            await store.ping()
        except StoreUnavailableError as exc:
            await store.close()
            pytest.fail(f"{MONGODB_URI_VAR} is set but MongoDB does not answer: {exc}")
    try:
        await store.start(now)
        yield store
    finally:
        if kind != "in-process":
            await store.connection.client.drop_database(store.connection.db.name)
        await store.close()


def _mongodb_store(uri: str, cipher: TokenCipher | None) -> Store:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=SERVER_TIMEOUT_MS
    )
    database = client[f"dd0c_test_{uuid.uuid4().hex[:16]}"]
    return Store.on(Connection(client, database, "mongodb"), cipher)
