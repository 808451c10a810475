"""The one place a MongoDB client is made: PyMongo's AsyncMongoClient, or an in-process fake.

Production and `serve` with `MONGODB_URI` use `pymongo.AsyncMongoClient`. Tests and `DD0C_DEV=1`
without a URI use mongomock-motor (a dev/test dependency) through the same database API; the
storage modules keep to the operations both implement identically (DEPENDENCIES.md).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Literal

from pymongo.errors import PyMongoError

from storage.errors import StoreConfigError, StoreUnavailableError

DEFAULT_DATABASE = "dd0c_cost"
Kind = Literal["mongodb", "in-process"]


@dataclass
class Connection:
    """A client, the product's database on it, and what kind of store it is."""

    client: Any
    db: Any
    kind: Kind

    async def ping(self) -> None:
        """Round-trip to the server; StoreUnavailableError when it does not answer."""
        try:
            await self.db.command("ping")
        except PyMongoError as exc:
            raise StoreUnavailableError(f"MongoDB did not answer: {type(exc).__name__}") from exc

    async def close(self) -> None:
        """Close the client (PyMongo's close is a coroutine, the fake's is not)."""
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


def connect(uri: str | None, *, dev: bool = False, database: str | None = None) -> Connection:
    """A connection to `uri`, or to a fresh in-process store when `dev` and no URI is given.

    Call inside the running event loop: PyMongo's async client belongs to the loop that made it.
    """
    if uri:
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
        db = client.get_default_database(database or DEFAULT_DATABASE)
        return Connection(client, db, "mongodb")
    if not dev:
        raise StoreConfigError(
            "MONGODB_URI is not set: give a MongoDB connection string "
            "(mongodb://host:27017/dd0c_cost), or set DD0C_DEV=1 for an in-process store"
        )
    return in_process(database)


def in_process(database: str | None = None) -> Connection:
    """A fresh in-process store (mongomock-motor): for tests and DD0C_DEV=1 only."""
    try:
        from mongomock_motor import AsyncMongoMockClient
    except ImportError as exc:
        raise StoreConfigError(
            "the in-process store needs the dev requirements: "
            "pip install -r requirements-dev.txt (or set MONGODB_URI)"
        ) from exc
    _index_id_lookups()
    _expire_at_most_every_second()
    client: Any = AsyncMongoMockClient(tz_aware=True)
    return Connection(client, client[database or DEFAULT_DATABASE], "in-process")


def _index_id_lookups() -> None:
    """Let the fake answer `{"_id": <scalar>, …}` filters by key instead of scanning.

    mongomock scans every document for every query; the pipeline's hot path always filters on
    `_id`, so a 5,000-event run would be quadratic. The filter is still applied in full to the
    one candidate, so results are the same as a scan's.
    """
    from mongomock import collection as mm

    if getattr(mm.Collection, "_dd0c_indexed", False):
        return
    scan = mm.Collection._iter_documents

    def iter_documents(self: Any, filter: Any) -> Any:  # noqa: A002 - mongomock's own name
        key = filter.get("_id") if isinstance(filter, dict) else None
        if isinstance(key, str | int) and not isinstance(key, bool):
            doc = self._store._documents.get(key)
            if doc is None:
                return iter(())
            return (d for d in (doc,) if mm.filter_applies(filter, d))
        return scan(self, filter)

    mm.Collection._iter_documents = iter_documents  # type: ignore[method-assign]
    setattr(mm.Collection, "_dd0c_indexed", True)  # noqa: B010 - mark the patch as applied


def _expire_at_most_every_second() -> None:
    """Let the fake sweep TTL indexes once a second per collection, not on every access.

    mongomock scans a whole collection for expired documents on each read and write; MongoDB's
    own TTL monitor runs once a minute, so a one-second sweep is still stricter than production.
    """
    import time

    from mongomock import store as mm_store

    if getattr(mm_store.CollectionStore, "_dd0c_ttl_throttled", False):
        return
    sweep = mm_store.CollectionStore._remove_expired_documents

    def remove_expired(self: Any) -> None:
        now = time.monotonic()
        if now - getattr(self, "_dd0c_swept", 0.0) >= 1.0:
            self._dd0c_swept = now
            sweep(self)

    mm_store.CollectionStore._remove_expired_documents = remove_expired  # type: ignore[method-assign]
    setattr(mm_store.CollectionStore, "_dd0c_ttl_throttled", True)  # noqa: B010 - patch marker
