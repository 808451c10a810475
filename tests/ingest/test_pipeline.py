"""The per-event pipeline on the in-process store: effects, idempotency, poison, crashes."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

import orjson
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from engine import Replay
from ingest.memory import MemoryStore
from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from ingest.processor import EventProcessor
from ingest.steps import STEPS
from pricing import Catalogue, load_catalogue
from storage import Store, StoreUnavailableError
from tests.fixtures import CLOUDTRAIL
from tests.stores import NOW, fresh_store
from tests.trails import ACCOUNT, describe, envelope, run_instances, state_change

CATALOGUE = load_catalogue()
_ids = count(1)


class Crash(Exception):
    """Raised by the fault hook: the process 'died' after a durable write."""


def message(body: Any, group: str | None = ACCOUNT) -> Message:
    """An SQS message carrying `body` (JSON-encoded unless already text)."""
    text = body if isinstance(body, str) else orjson.dumps(body).decode()
    n = next(_ids)
    return Message(f"m-{n}", f"rh-{n}", text, group)


def pipeline(store: Store, **kwargs: Any) -> Pipeline:
    """A pipeline on the store with a fixed clock."""
    return Pipeline(store, CATALOGUE, clock=lambda: NOW, **kwargs)


async def test_a_launch_is_stored_scored_learned_and_tracked(store: Store) -> None:
    p = pipeline(store)
    rec = run_instances("e-1", NOW, ["i-1", "i-2"], "p4d.24xlarge")
    result = await p.handle(message(rec))
    assert result.outcome is Outcome.DONE
    stored = await store.events.get("t1", "e-1")
    assert stored is not None and stored.step == 5 and stored.verdict is not None
    anomaly = await store.anomalies.get("t1", "e-1")
    assert anomaly is not None and anomaly.severity == "critical"
    assert anomaly.alert_state == "pending" and anomaly.resource_ids == ["i-1", "i-2"]
    assert anomaly.principal_arn == f"arn:aws:iam::{ACCOUNT}:user/alice"
    unit = CATALOGUE.ec2("p4d.24xlarge", "us-east-1").usd
    assert unit is not None
    assert anomaly.estimated_hourly_cost == pytest.approx(2 * unit)
    rate = await store.resources.burn_rate("t1", ACCOUNT)
    assert rate.running == 2 and rate.hourly_usd == pytest.approx(2 * unit)
    assert (p.stats.events, p.stats.anomalies) == (1, 1)


async def test_a_duplicate_changes_nothing(store: Store) -> None:
    p = pipeline(store)
    rec = run_instances("e-1", NOW, ["i-1"], "p4d.24xlarge")
    await p.handle(message(rec))
    before = await store.baselines.for_tenant("t1")
    result = await p.handle(message(envelope(rec)))  # the same event, delivered again
    assert result.outcome is Outcome.DONE
    assert await store.baselines.for_tenant("t1") == before
    assert await store.anomalies.count("t1") == 1 and await store.events.count("t1") == 1
    assert p.stats.duplicates == 1


async def test_start_is_priced_from_the_inventory_and_burn_rate_follows(store: Store) -> None:
    p = pipeline(store)
    unit = CATALOGUE.ec2("c5.4xlarge", "us-east-1").usd
    assert unit is not None
    steps = [
        (run_instances("e-1", NOW, ["i-1", "i-2"], "c5.4xlarge"), 2 * unit),
        (state_change("StopInstances", "e-2", NOW + timedelta(hours=1), ["i-1", "i-2"]), 0.0),
        (state_change("StartInstances", "e-3", NOW + timedelta(hours=2), ["i-1"]), unit),
        (state_change("TerminateInstances", "e-4", NOW + timedelta(hours=3), ["i-1", "i-2"]), 0.0),
    ]
    for rec, burn in steps:
        assert (await p.handle(message(rec))).outcome is Outcome.DONE
        assert (await store.resources.burn_rate("t1")).hourly_usd == pytest.approx(burn)
    start = await store.events.get("t1", "e-3")
    assert start is not None
    assert start.cost_event().size == "c5.4xlarge"
    assert start.cost_event().estimated_hourly_cost == pytest.approx(unit)


async def test_an_anomaly_is_resolved_when_its_resources_end(store: Store) -> None:
    p = pipeline(store)
    await p.handle(message(run_instances("e-1", NOW, ["i-1", "i-2"], "p4d.24xlarge")))
    later = NOW + timedelta(minutes=10)
    await p.handle(message(state_change("TerminateInstances", "e-2", later, ["i-1"])))
    first = await store.anomalies.get("t1", "e-1")
    assert first is not None and first.status == "open"
    await p.handle(message(state_change("StopInstances", "e-3", later, ["i-2"])))
    done = await store.anomalies.get("t1", "e-1")
    assert done is not None and done.status == "resolved" and done.status_by == "event:e-3"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json at all", "not JSON"),
        ("[]", "no CloudTrail record"),
        ('{"hello": 1}', "not a CloudTrail record"),
        ('{"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances"}', ""),
        ("x" * 300_000, "oversized"),
    ],
)
async def test_poison_is_recorded_with_its_reason(store: Store, body: str, reason: str) -> None:
    p = pipeline(store)
    msg = message(body)
    result = await p.handle(msg)
    assert result.outcome is Outcome.POISON and result.reason and reason in result.reason
    rejected = await store.rejects.get(msg.message_id)
    assert rejected is not None and rejected.reason == result.reason
    assert await store.events.count("t1") == 0


async def test_read_only_calls_are_done_without_a_trace(store: Store) -> None:
    p = pipeline(store)
    assert (await p.handle(message(describe("e-1", NOW)))).outcome is Outcome.DONE
    assert p.stats.ignored == 1 and await store.events.count("t1") == 0


async def test_events_of_unknown_accounts_are_dropped_and_audited(store: Store) -> None:
    p = pipeline(store)
    rec = run_instances("e-9", NOW, ["i-1"], account="999999999999")
    assert (await p.handle(message(rec))).outcome is Outcome.DONE
    assert await store.events.get("t1", "e-9") is None
    entries = await store.audit.recent(None, kind="ingest.dropped")
    assert len(entries) == 1 and "999999999999" in entries[0].message


async def test_dev_mode_attaches_unknown_accounts(store: Store) -> None:
    p = pipeline(store, auto_attach_tenant="dev")
    rec = run_instances("e-9", NOW, ["i-1"], account="999999999999")
    assert (await p.handle(message(rec))).outcome is Outcome.DONE
    assert await store.events.get("dev", "e-9") is not None
    account = await store.accounts.route("999999999999")
    assert account is not None and account.auto_attached


async def test_a_log_file_body_with_a_bad_record_is_poison_but_keeps_the_good_one(
    store: Store,
) -> None:
    p = pipeline(store)
    body = {"Records": [run_instances("e-1", NOW, ["i-1"]), {"eventName": 3}]}
    result = await p.handle(message(body))
    assert result.outcome is Outcome.POISON and result.reason
    assert result.reason.startswith("record 2 of 2")
    assert await store.events.get("t1", "e-1") is not None


async def test_real_records_go_through(store: Store) -> None:
    p = pipeline(store, auto_attach_tenant="dev")
    outcomes = []
    for path in sorted(CLOUDTRAIL.rglob("*.json")):
        if path.name == "expected.json":
            continue
        outcomes.append(await p.handle(message(path.read_text())))
    # Two published samples share an eventID with other content (tests/events SOURCES.md):
    # the second is a conflicting duplicate, rejected; every other record goes through.
    poison = [r.reason or "" for r in outcomes if r.outcome is Outcome.POISON]
    assert len(poison) == 1 and poison[0].startswith("conflicting duplicate")
    assert p.stats.events >= 30 and p.stats.ignored >= 5


class _CrashAt:
    """A fault hook that crashes once at `step` (on every event that reaches it)."""

    def __init__(self, step: str) -> None:
        self.step, self.crashes = step, 0

    def __call__(self, name: str, event_id: str) -> None:
        if name == self.step:
            self.crashes += 1
            raise Crash(name)


async def _snapshot(store: Store) -> tuple[Any, ...]:
    return (
        await store.baselines.for_tenant("t1"),
        await store.profiles.for_tenant("t1"),
        [a.model_dump(exclude={"created_at"}) for a in await store.anomalies.recent("t1")],
        await store.resources.burn_rate("t1"),
        await store.events.count("t1"),
    )


def _history() -> list[dict[str, Any]]:
    recs = [run_instances(f"h-{i}", NOW - timedelta(days=20 - i), [f"i-h{i}"]) for i in range(20)]
    recs.append(run_instances("big", NOW, ["i-b1", "i-b2"], "p4d.24xlarge"))
    recs.append(state_change("TerminateInstances", "end", NOW, ["i-b1", "i-b2"]))
    return recs


@pytest.mark.parametrize("step", STEPS)
async def test_a_crash_after_any_step_then_redelivery_equals_a_clean_pass(step: str) -> None:
    clean, crashed = await fresh_store(), await fresh_store()
    for s in (clean, crashed):
        await s.accounts.attach("t1", ACCOUNT, NOW)
    crash = _CrashAt(step)
    for rec in _history():
        await pipeline(clean).handle(message(rec))
        try:
            await pipeline(crashed, fault=crash).handle(message(rec))
        except Crash:
            redelivered = await pipeline(crashed).handle(message(rec))
            assert redelivered.outcome is Outcome.DONE
    assert crash.crashes >= 1
    assert await _snapshot(crashed) == await _snapshot(clean)


async def test_the_store_agrees_with_the_in_memory_replay(store: Store) -> None:
    p = pipeline(store)
    recs = _history()
    replay = Replay(CATALOGUE)
    verdicts = [v for _, v in replay.run(recs)]
    for rec in recs:
        await p.handle(message(rec))
    for key, baseline in replay.baselines.items():
        assert await store.baselines.get("t1", key) == baseline
    want = sum(1 for v in verdicts if v is not None and v.anomaly is not None)
    assert await store.anomalies.count("t1") == want > 0


async def test_the_service_and_the_backtest_run_one_processor(store: Store) -> None:
    """The same records through the pipeline (MongoDB) and the backtest's processor (memory)."""
    p = pipeline(store)
    recs = _history()
    clock = _Clock()
    rehearsal = EventProcessor(MemoryStore(), CATALOGUE, clock, tenant="t1")
    rehearsed: dict[str, Any] = {}
    for rec in recs:
        event, verdict = await rehearsal.process(rec)
        rehearsed[str(getattr(event, "event_id", ""))] = verdict
        await p.handle(message(rec))
    for event_id, verdict in rehearsed.items():
        stored = await store.events.get("t1", event_id)
        assert stored is not None and stored.stored_verdict() == verdict
    memory = rehearsal.ports
    for key, baseline in memory.baselines.items.items():
        assert await store.baselines.get("t1", key) == baseline
    for key, profile in memory.profiles.items.items():
        assert await store.profiles.get("t1", key) == profile
    assert len(memory.profiles.items) == len(await store.profiles.for_tenant("t1")) == 2


class _Clock:
    def __call__(self) -> datetime:
        return NOW


def test_catalogue_is_the_real_one() -> None:
    assert isinstance(CATALOGUE, Catalogue)


async def test_an_unreachable_store_closes_the_gate_until_it_answers(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = pipeline(store)
    assert await p.ready() is True

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise ServerSelectionTimeoutError("no servers")

    async def still_down() -> None:
        raise StoreUnavailableError("MongoDB did not answer")

    monkeypatch.setattr(store.events, "claim", down)
    monkeypatch.setattr(store, "ping", still_down)
    with pytest.raises(StoreUnavailableError):
        await p.handle(message(run_instances("e-1", NOW, ["i-1"])))
    assert await p.ready() is False
    monkeypatch.undo()
    assert await p.ready() is True
    assert (await p.handle(message(run_instances("e-1", NOW, ["i-1"])))).outcome is Outcome.DONE
