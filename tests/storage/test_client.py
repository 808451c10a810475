"""The one client factory: PyMongo for a URI with no trace of the fake; the fake for dev/tests."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from storage.client import connect

PRODUCTION_PATH = """
import asyncio, sys
from storage import open_store

async def main() -> None:
    store = open_store("mongodb://127.0.0.1:1/dd0c_cost")  # connects lazily: no server needed
    assert store.kind == "mongodb", store.kind
    assert type(store.connection.client).__name__ == "AsyncMongoClient"
    await store.close()

asyncio.run(main())
loaded = sorted(m for m in sys.modules if m.startswith(("mongomock", "storage._dev")))
assert not loaded, loaded
print("clean")
"""


def test_the_production_path_never_loads_or_patches_mongomock() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PATH], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


async def test_dev_without_a_uri_runs_on_the_in_process_store() -> None:
    connection = connect(None, dev=True)
    assert connection.kind == "in-process"
    col = connection.db["probe"]
    await col.insert_one({"_id": "a", "at": datetime(2026, 1, 1, tzinfo=UTC)})
    found = await col.find_one({"_id": "a"})
    assert found is not None and found["at"].tzinfo is not None
    await connection.ping()
    await connection.close()
