"""Events, anomalies, live resources, accounts, audit and rejects on the in-process store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Anomaly, CostEvent, delta_for
from engine.context import changes_for
from engine.scoring import Signals, Verdict
from storage import ForeignEventError, Store
from storage.events import Step
from tests.engine.factories import T0, event
from tests.stores import NOW

CRIT = Anomaly(severity="critical", score=1.0, reasons=("$40/h launch",))


async def test_claim_stores_once_and_finds_it_again(store: Store) -> None:
    ev = event(3.0, resource_ids=("i-1",))
    first = await store.events.claim("t1", ev, NOW)
    again = await store.events.claim("t1", ev, NOW + timedelta(minutes=5))
    assert first.new and not again.new
    assert again.stored.cost_event() == ev
    assert again.stored.received_at == first.stored.received_at
    assert await store.events.count("t1") == 1


async def test_an_event_id_of_another_tenant_is_refused(store: Store) -> None:
    ev = event(3.0)
    await store.events.claim("t1", ev, NOW)
    with pytest.raises(ForeignEventError):
        await store.events.claim("t2", ev, NOW)
    assert await store.events.get("t2", ev.event_id) is None


async def test_the_first_verdict_wins(store: Store) -> None:
    ev = event(3.0)
    await store.events.claim("t1", ev, NOW)
    one = Verdict(CRIT, "cold-start", Signals(z=1.5), 0.0, 0, fast_path=True)
    two = Verdict(None, "mature", Signals(), 20.0, 50)
    assert await store.events.save_verdict("t1", ev.event_id, one) == one
    assert await store.events.save_verdict("t1", ev.event_id, two) == one
    stored = await store.events.get("t1", ev.event_id)
    assert stored is not None and stored.step == Step.SCORED


async def test_steps_never_move_backwards(store: Store) -> None:
    ev = event(3.0)
    await store.events.claim("t1", ev, NOW)
    await store.events.advance("t1", ev.event_id, Step.TRACKED)
    await store.events.advance("t1", ev.event_id, Step.LEARNED)
    stored = await store.events.get("t1", ev.event_id)
    assert stored is not None and stored.step == Step.TRACKED


async def test_anomaly_once_per_event_and_per_tenant(store: Store) -> None:
    ev = event(40.0, resource_ids=("i-9",))
    assert await store.anomalies.create("t1", ev, CRIT, NOW) is True
    assert await store.anomalies.create("t1", ev, CRIT, NOW) is False
    got = await store.anomalies.get("t1", ev.event_id)
    assert got is not None and got.alert_state == "pending" and got.status == "open"
    assert got.estimated_hourly_cost == 40.0 and got.reasons == ["$40/h launch"]
    assert await store.anomalies.get("t2", ev.event_id) is None
    assert [a.id for a in await store.anomalies.pending()] == [ev.event_id]


async def test_anomaly_status_and_alert_state(store: Store) -> None:
    ev = event(40.0)
    await store.anomalies.create("t1", ev, CRIT, NOW)
    until = NOW + timedelta(hours=4)
    assert await store.anomalies.set_status(
        "t1", ev.event_id, "snoozed", NOW, by="U1", snooze_until=until
    )
    assert not await store.anomalies.set_status("t2", ev.event_id, "expected", NOW)
    await store.anomalies.set_alert_state("t1", ev.event_id, "failed", reason="channel_not_found")
    got = await store.anomalies.get("t1", ev.event_id)
    assert got is not None
    assert (got.status, got.snooze_until, got.status_by) == ("snoozed", until, "U1")
    assert (got.alert_state, got.alert_reason, got.alert_attempts) == (
        "failed",
        "channel_not_found",
        1,
    )
    assert await store.anomalies.pending() == []
    assert await store.anomalies.count("t1", open_only=True) == 1


async def _apply(store: Store, ev: CostEvent) -> None:
    for change in changes_for(ev):
        await store.resources.apply("t1", change, ev.event_id, ev.event_time, NOW)


async def test_inventory_follows_launch_stop_start_terminate(store: Store) -> None:
    launch = event(0.384, size="m5.large", quantity=4, resource_ids=("i-1", "i-2", "i-3", "i-4"))
    await _apply(store, launch)
    rate = await store.resources.burn_rate("t1", "111122223333")
    assert rate.running == 4 and rate.hourly_usd == pytest.approx(0.384)
    stop = event(None, action="stop", resource_ids=("i-1", "i-2"), at=T0 + timedelta(hours=1))
    await _apply(store, stop)
    assert (await store.resources.burn_rate("t1")).hourly_usd == pytest.approx(0.192)
    known = await store.resources.known(
        "t1", [("111122223333", "us-east-1", "ec2:instance", "i-1")]
    )
    assert [k.size for k in known.values()] == ["m5.large"]
    end = event(None, action="terminate", resource_ids=("i-3", "i-4"), at=T0 + timedelta(hours=2))
    await _apply(store, end)
    rate = await store.resources.burn_rate("t1")
    assert (rate.running, rate.hourly_usd) == (0, 0.0)
    assert await store.resources.burn_rate("t2") == type(rate)(0.0, 0, 0)


async def test_an_older_event_never_undoes_a_newer_one(store: Store) -> None:
    launch = event(0.1, resource_ids=("i-1",), at=T0)
    end = event(None, action="terminate", resource_ids=("i-1",), at=T0 + timedelta(hours=1))
    await _apply(store, end)
    await _apply(store, launch)  # delivered late
    res = await store.resources.get("t1", ("111122223333", "us-east-1", "ec2:instance", "i-1"))
    assert res is not None and res.state == "ended" and res.expire_at is not None


async def test_accounts_route_events_to_their_tenant(store: Store) -> None:
    await store.accounts.attach("t1", "111122223333", NOW)
    again = await store.accounts.attach("t2", "111122223333", NOW)  # already taken
    assert again.tenant_id == "t1"
    assert (await store.accounts.route("111122223333")).tenant_id == "t1"  # type: ignore[union-attr]
    assert await store.accounts.get("t2", "111122223333") is None
    assert [a.id for a in await store.accounts.for_tenant("t1")] == ["111122223333"]


async def test_audit_and_rejects(store: Store) -> None:
    await store.audit.record(None, "ingest.dropped", "event for unknown account", NOW, {"a": 1})
    await store.audit.record("t1", "policy", "suppressed", NOW)
    assert [e.message for e in await store.audit.recent(None)] == ["event for unknown account"]
    assert [e.kind for e in await store.audit.recent("t1")] == ["policy"]
    await store.rejects.record("m-1", "x" * 5000, "not JSON", NOW, receive_count=1)
    await store.rejects.record("m-1", "x" * 5000, "not JSON", NOW, receive_count=3)
    await store.rejects.record("m-1", "x" * 5000, "not JSON", NOW, receive_count=2)
    got = await store.rejects.get("m-1")
    assert got is not None and got.receives == 3 and got.body_bytes == 5000
    assert len(got.excerpt) == 512


async def test_start_twice_applies_migrations_once(store: Store) -> None:
    assert await store.start(NOW) == []
    indexes = await store.connection.db["cost_events"].index_information()
    assert "expire" in indexes and "tenant_time" in indexes


async def test_delta_and_claim_agree_on_ids(store: Store) -> None:
    ev = event(1.0)
    delta = delta_for(ev)
    assert delta is not None and delta.event_id == ev.event_id


async def test_claim_pending_takes_each_pushed_anomaly_once_per_lease(store: Store) -> None:
    info = Anomaly(severity="info", score=0.1, reasons=("$0.60/h",))
    old, new, quiet = event(40.0), event(41.0), event(0.6)
    await store.anomalies.create("t1", old, CRIT, NOW)
    await store.anomalies.create("t2", new, CRIT, NOW + timedelta(seconds=1))
    await store.anomalies.create("t1", quiet, info, NOW)
    lease = timedelta(minutes=2)
    first = await store.anomalies.claim_pending(NOW, lease)
    second = await store.anomalies.claim_pending(NOW, lease)
    assert (first and first.id, second and second.id) == (old.event_id, new.event_id)
    assert await store.anomalies.claim_pending(NOW, lease) is None  # info is not pushed
    again = await store.anomalies.claim_pending(NOW + timedelta(minutes=3), lease)
    assert again is not None and again.id == old.event_id  # the lease ran out
    await store.anomalies.set_alert_state("t1", old.event_id, "sent")
    await store.anomalies.set_alert_state("t2", new.event_id, "sent")
    assert await store.anomalies.claim_pending(NOW + timedelta(hours=1), lease) is None
