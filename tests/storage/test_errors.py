"""The storage boundary: driver connection failures leave storage/ as StoreUnavailableError."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from storage import Store, StoreUnavailableError
from storage.client import Connection


def _collection_classes(store: Store) -> list[type]:
    fields = [f.name for f in dataclasses.fields(store) if f.name != "connection"]
    return [type(getattr(store, name)) for name in fields]


def test_every_public_coroutine_of_every_collection_class_is_translated(store: Store) -> None:
    untranslated = [
        f"{cls.__name__}.{name}"
        for cls in _collection_classes(store)
        for name, member in vars(cls).items()
        if not name.startswith("_")
        and inspect.iscoroutinefunction(member)
        and not getattr(member, "translates_driver_errors", False)
    ]
    assert len(_collection_classes(store)) >= 10
    assert untranslated == []


@pytest.mark.parametrize("failure", [ServerSelectionTimeoutError("no servers"), AutoReconnect()])
async def test_a_connection_failure_becomes_store_unavailable(
    store: Store, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    async def down(*args: Any, **kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr(store.tenants._col, "find_one", down)
    with pytest.raises(StoreUnavailableError, match=type(failure).__name__) as caught:
        await store.tenants.get("t1")
    assert caught.value.__cause__ is failure


async def test_other_driver_errors_pass_unchanged(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise OperationFailure("not authorized", code=13)

    monkeypatch.setattr(store.tenants._col, "find_one", refused)
    with pytest.raises(OperationFailure):
        await store.tenants.get("t1")


async def test_ping_reports_an_unreachable_server_as_store_unavailable() -> None:
    class Dead:
        async def command(self, name: str) -> Any:
            raise ServerSelectionTimeoutError("no servers")

    with pytest.raises(StoreUnavailableError):
        await Connection(client=None, db=Dead(), kind="mongodb").ping()
