"""The in-process store's limited finds return exactly what a full scan would (storage._dev)."""

from __future__ import annotations

import random
from datetime import timedelta

from tests.stores import NOW, fresh_store


async def test_limited_sorted_finds_match_a_full_scan() -> None:
    store = await fresh_store()
    col = store.connection.db["dev_cursor_check"]
    rng = random.Random(16)
    docs = [
        {
            "_id": f"d{i:04d}",
            "group": rng.choice("abc"),
            "at": NOW - timedelta(minutes=rng.randrange(50)),  # many ties
        }
        for i in range(400)
    ]
    await col.insert_many([dict(d) for d in docs])
    expected = sorted(docs, key=lambda d: (d["at"], d["_id"]), reverse=True)
    for query, skip, limit in [({}, 0, 10), ({"group": "b"}, 5, 7), ({}, 390, 50), ({}, 0, 1)]:
        wanted = [d["_id"] for d in expected if all(d[k] == v for k, v in query.items())]
        cursor = col.find(query).sort([("at", -1), ("_id", -1)]).skip(skip).limit(limit)
        got = [d["_id"] async for d in cursor]
        assert got == wanted[skip : skip + limit], (query, skip, limit)
    first = await col.find_one({"group": "a"}, sort=[("at", 1), ("_id", 1)])
    assert first is not None and first["at"].tzinfo is not None
    oldest = min((d for d in docs if d["group"] == "a"), key=lambda d: (d["at"], d["_id"]))
    assert first["_id"] == oldest["_id"]
    assert await col.count_documents({}) == 400
    unlimited = [d["_id"] async for d in col.find({}).sort([("at", -1), ("_id", -1)])]
    assert unlimited == [d["_id"] for d in expected]
    await store.close()
