"""What production relies on from MongoDB, on every store in the contract suite (conftest):
every index (TTL and partial ones with their options), the unique eventID claim, the atomic
baseline upsert and the notifier's lease — under concurrency, where the server decides."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from engine import Anomaly, delta_for
from storage import Store
from storage.indexes import INDEXES
from tests.engine.factories import T0, event
from tests.stores import MONGODB_URI_VAR, NOW

CRIT = Anomaly(severity="critical", score=1.0, reasons=("$40/h launch",))
ROOT = Path(__file__).parents[2]


async def test_every_index_exists_with_its_keys_and_options(store: Store) -> None:
    db = store.connection.db
    for index in INDEXES:
        found = (await db[index.collection].index_information()).get(index.name)
        assert found is not None, f"{index.collection}.{index.name} missing"
        assert [tuple(k) for k in found["key"]] == list(index.keys), index.name
        if "expireAfterSeconds" in index.options:  # a TTL index: data expires
            assert found.get("expireAfterSeconds") == index.options["expireAfterSeconds"]
    ttl = {i.collection for i in INDEXES if "expireAfterSeconds" in i.options}
    assert {"cost_events", "audit_log", "rejected_messages", "slack_oauth_states"} <= ttl


async def test_concurrent_claims_of_one_event_store_it_once(store: Store) -> None:
    ev = event(3.0, resource_ids=("i-1",))
    claims = await asyncio.gather(*(store.events.claim("t1", ev, NOW) for _ in range(8)))
    assert sum(c.new for c in claims) == 1
    assert await store.events.count("t1") == 1


async def test_concurrent_baseline_upserts_count_every_event_once(store: Store) -> None:
    events = [event(1.0 + n, at=T0 + timedelta(minutes=n)) for n in range(12)]
    deltas = [d for d in map(delta_for, events) if d is not None]
    # Every event twice, all at once: the filter on `applied` makes each count exactly once.
    results = await asyncio.gather(*(store.baselines.apply("t1", d) for d in deltas + deltas))
    assert sum(results) == len(deltas)
    baseline = await store.baselines.get("t1", deltas[0].key)
    assert baseline is not None and baseline.stats.count == len(deltas)
    assert baseline.stats.total == sum(1.0 + n for n in range(12))


async def test_concurrent_notifiers_claim_an_alert_once_per_lease(store: Store) -> None:
    ev = event(40.0)
    await store.anomalies.create("t1", ev, CRIT, NOW)
    lease = timedelta(minutes=2)
    claimed = await asyncio.gather(*(store.anomalies.claim_pending(NOW, lease) for _ in range(6)))
    assert [c.id for c in claimed if c is not None] == [ev.event_id]
    later = await store.anomalies.claim_pending(NOW + lease + timedelta(seconds=1), lease)
    assert later is not None and later.id == ev.event_id


@pytest.mark.slow  # runs pytest in a subprocess: about 5 s
def test_a_set_but_unreachable_server_fails_the_suite_loudly() -> None:
    env = {**os.environ, MONGODB_URI_VAR: "mongodb://127.0.0.1:1/?connectTimeoutMS=200"}
    test = "tests/storage/test_contract.py::test_concurrent_claims_of_one_event_store_it_once"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, done.stdout
    assert f"{MONGODB_URI_VAR} is set but MongoDB does not answer" in done.stdout
    assert f"ERROR {test}[mongodb]" in done.stdout  # an error, not a skip
    assert "skipped" not in done.stdout.lower()
