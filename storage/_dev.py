"""The in-process store for tests and `DD0C_DEV=1`: mongomock-motor, made fast enough to use.

Nothing on the production path imports this module (`storage.client.in_process` does, lazily).
The patches below change private methods of mongomock — acceptable for a fake used in tests and
local runs, never for the driver production talks to.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from storage.errors import StoreConfigError


def fake_client() -> Any:
    """A new mongomock-motor client (tz-aware), with the speed patches applied once."""
    try:
        from mongomock_motor import AsyncMongoMockClient
    except ImportError as exc:
        raise StoreConfigError(
            "the in-process store needs the dev requirements: "
            "pip install -r requirements-dev.txt (or set MONGODB_URI)"
        ) from exc
    _index_id_lookups()
    _expire_at_most_every_second()
    _limited_cursors()
    return AsyncMongoMockClient(tz_aware=True)


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


def _limited_cursors() -> None:
    """Let a limited find copy only the documents it returns.

    mongomock copies (and makes tz-aware) every matching document before applying skip and limit,
    so a page of 50 out of 100,000 anomalies copied 100,000 documents. Its document generator is
    already in the query's sort order, so the first skip + limit documents are the same; they
    are kept apart from mongomock's own full results (which other cursor methods still compute).
    """
    from mongomock import collection as mm
    from mongomock import helpers

    if getattr(mm.Cursor, "_dd0c_limited", False):
        return
    full = mm.Cursor._compute_results

    def compute_results(self: Any, with_limit_and_skip: bool = False) -> Any:
        if not with_limit_and_skip or not self._limit:
            return full(self, with_limit_and_skip)
        key = (self._factory, self._skip, self._limit)
        if getattr(self, "_dd0c_head_key", None) != key:
            head = list(itertools.islice(self._factory(), self._skip + abs(self._limit)))
            if self.collection.codec_options.tz_aware:
                head = [helpers.make_datetime_timezone_aware_in_document(d) for d in head]
            self._dd0c_head, self._dd0c_head_key = head[self._skip :], key
        return self._dd0c_head

    mm.Cursor._compute_results = compute_results  # type: ignore[method-assign]
    setattr(mm.Cursor, "_dd0c_limited", True)  # noqa: B010 - patch marker
