"""The one place a MongoDB client is made: PyMongo's AsyncMongoClient, or an in-process fake.

Production and `serve` with `MONGODB_URI` use `pymongo.AsyncMongoClient`. Tests and `DD0C_DEV=1`
without a URI use mongomock-motor (a dev/test dependency, built in `storage._dev`) through the
same database API; the storage modules keep to the operations both implement identically
(DEPENDENCIES.md).
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
    """A fresh in-process store (mongomock-motor): for tests and DD0C_DEV=1 only.

    The fake and the patches that make it fast live in `storage._dev`, imported only here, so
    the production path (`AsyncMongoClient`) never loads or patches mongomock.
    """
    from storage._dev import fake_client

    client = fake_client()
    return Connection(client, client[database or DEFAULT_DATABASE], "in-process")
