"""The circuit breaker on the real Redis: a flagged rule flooding an account trips it, its alerts
are kept (with the reason) instead of posted, nothing is lost, the safety net still posts, the
operator is told (log, metric, audit), and replay re-delivers or drops what was kept."""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from cli.alerts import act
from engine import Anomaly, Verdict
from engine.scoring import Phase, Signals
from flags import Switches
from flags.breaker import Breaker
from governance import Governance, PanicSwitch, Policy
from storage import Store
from storage.anomalies import StoredAnomaly
from telemetry.metrics import Metrics
from tests.engine.factories import event
from tests.flags.flagfiles import flag, write

T0 = datetime.now(UTC).replace(microsecond=0)
ACCOUNT, OTHER = "111122223333", "444455556666"
RULE = "detector.newRegion"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def alert(
    store: Store,
    now: datetime,
    signals: dict[str, float],
    *,
    fast_path: bool = False,
    account: str = ACCOUNT,
    severity: str = "warning",
) -> StoredAnomaly:
    """An event scored with these signals and its pending anomaly, as the pipeline stores them."""
    ev = event(7.0, at=now, account=account)
    anomaly = Anomaly(severity=severity, score=0.8, reasons=("unusual",), signals=signals)
    phase: Phase = "cold-start" if fast_path and "safetyNet" not in signals else "mature"
    verdict = Verdict(anomaly, phase, Signals(), 20.0, 40, fast_path=fast_path)
    await store.events.claim("T1", ev, now)
    await store.events.save_verdict("T1", ev.event_id, verdict)
    assert await store.anomalies.create("T1", ev, anomaly, now)
    stored = await store.anomalies.get("T1", ev.event_id)
    assert stored is not None
    return stored


@pytest.fixture
def flags_file(tmp_path: Path) -> Path:
    """Two flagged detectors on for everyone."""
    return write(
        tmp_path / "flags.json",
        {RULE: flag("detector:newRegion"), "detector.sizeJump": flag("detector:sizeJump")},
    )


class World:
    """Governance with the breaker over the store and the real Redis, on a test clock."""

    def __init__(self, store: Store, redis: aioredis.Redis, prefix: str, flags_file: Path):
        self.clock = Clock(T0)
        self.lines: list[str] = []
        self.metrics = Metrics(self.clock, self.lines.append)
        self.breaker = Breaker(redis, prefix, self.clock)
        self.switches = Switches(flags_file, breaker=self.breaker.open_flags)
        self.switches.start()
        self.gov = Governance(
            store,
            PanicSwitch(redis, prefix),
            Policy(governance_mode="audit"),
            self.clock,
            breaker=self.breaker,
            switches=self.switches,
            metrics=self.metrics,
        )

    def counted(self, name: str) -> float:
        docs = self.metrics.flush()
        return sum(float(str(doc.get(name, 0))) for doc in docs)


@pytest.fixture
async def world(
    store: Store, redis: aioredis.Redis, prefix: str, flags_file: Path
) -> AsyncIterator[World]:
    await store.accounts.attach("T1", ACCOUNT, T0)
    await store.accounts.attach("T1", OTHER, T0)
    built = World(store, redis, prefix, flags_file)
    yield built
    built.switches.shutdown()


async def test_a_flood_trips_the_breaker_keeps_the_alerts_and_the_safety_net_still_posts(
    store: Store, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="governance.service")
    flood, outcomes = [], []
    for minute in range(10):
        world.clock.now = T0 + timedelta(minutes=minute)
        flood.append(await alert(store, world.clock.now, {"newRegion": 1.0}))
        outcomes.append((await world.gov.decide(flood[-1])).delivery)
        if minute == 5:  # a $44/h launch in the middle of the flood, also a new region
            net = await alert(store, world.clock.now, {"safetyNet": 1.0, "newRegion": 1.0},
                              fast_path=True, severity="critical")  # fmt: skip
            assert (await world.gov.decide(net)).delivery == "posted"
            plain = await alert(store, world.clock.now, {"zOutlier": 1.0})  # no flagged rule
            assert (await world.gov.decide(plain)).delivery == "posted"
    # The account's usual volume is 0/h (floor 1/h): the 4th alert in the hour is over 3x.
    assert outcomes == ["posted"] * 3 + ["kept"] * 7
    assert await world.breaker.open_flags("T1", ACCOUNT) == frozenset({RULE})
    assert await world.breaker.open_flags("T1", OTHER) == frozenset()
    # The flag is off for that account only; the other rule stays on.
    here = await world.switches.switched("T1", ACCOUNT)
    there = await world.switches.switched("T1", OTHER)
    assert "newRegion" not in here.enabled and "sizeJump" in here.enabled
    assert "newRegion" in there.enabled and RULE not in here.flags_on
    # Nothing lost: every flood alert is posted or kept with the reason.
    for anomaly in flood:
        stored = await store.anomalies.get("T1", anomaly.id)
        assert stored is not None and stored.delivery in ("posted", "kept")
        if stored.delivery == "kept":
            reason = stored.delivery_reason or ""
            assert reason.startswith(f"circuit breaker: flag {RULE} produced 4 alerts")
    # The operator is told: a warning, the metrics, one audit entry.
    assert [r.getMessage() for r in caplog.records if "circuit breaker opened" in r.getMessage()]
    assert world.counted("BreakerTrips") == 1
    assert len(await store.audit.recent("T1", kind="governance.breaker-open")) == 1


async def test_the_limit_is_three_times_the_accounts_usual_hourly_volume(
    store: Store, world: World
) -> None:
    for hour in range(2, 168):  # two alerts an hour for the past week, from unflagged rules
        for n in range(2):
            world.clock.now = T0 - timedelta(hours=hour, minutes=n)
            await world.breaker.record("T1", ACCOUNT, f"old-{hour}-{n}", [])
    outcomes = []
    for minute in range(8):
        world.clock.now = T0 + timedelta(minutes=minute)
        anomaly = await alert(store, world.clock.now, {"newRegion": 1.0})
        outcomes.append((await world.gov.decide(anomaly)).delivery)
    # usual = 332 alerts / 167 h = 1.99/h -> limit 5.96: the 6th alert in the hour trips it.
    assert outcomes == ["posted"] * 5 + ["kept"] * 3


async def test_an_hour_later_the_window_has_slid(store: Store, world: World) -> None:
    for minute in (0, 20, 40):
        world.clock.now = T0 + timedelta(minutes=minute)
        await world.gov.decide(await alert(store, world.clock.now, {"newRegion": 1.0}))
    world.clock.now = T0 + timedelta(minutes=61)  # the first has left the window
    anomaly = await alert(store, world.clock.now, {"newRegion": 1.0})
    assert (await world.gov.decide(anomaly)).delivery == "posted"
    assert await world.breaker.open_flags("T1", ACCOUNT) == frozenset()


async def test_replay_redelivers_the_kept_alerts_once_and_the_flag_is_back(
    store: Store, world: World, redis: aioredis.Redis, prefix: str
) -> None:
    kept = []
    for minute in range(6):
        world.clock.now = T0 + timedelta(minutes=minute)
        anomaly = await alert(store, world.clock.now, {"newRegion": 1.0})
        if (await world.gov.decide(anomaly)).delivery == "kept":
            await store.anomalies.set_alert_state("T1", anomaly.id, "suppressed", reason="kept")
            kept.append(anomaly.id)
    assert len(kept) == 3
    listing = await act(store, redis, prefix, _args("kept"))
    assert f"open: {RULE}: circuit breaker" in listing
    assert all(f"kept: {k} warning RunInstances" in listing for k in kept)

    said = await act(store, redis, prefix, _args("replay", what="deliver", by="alice"))
    assert said == f"breakers closed: {RULE}; alerts re-delivered: 3, dropped: 0"
    assert await world.breaker.open_flags("T1", ACCOUNT) == frozenset()
    assert "newRegion" in (await world.switches.switched("T1", ACCOUNT)).enabled
    for anomaly_id in kept:
        again = await store.anomalies.get("T1", anomaly_id)
        assert again is not None and again.alert_state == "pending"
        assert (await world.gov.decide(again)).delivery == "posted"  # not counted again
    assert await world.breaker.open_flags("T1", ACCOUNT) == frozenset()
    audit = await store.audit.recent("T1", kind="governance.replay")
    assert [e.message for e in audit] == [f"alice: {said}"]


async def test_replay_can_drop_instead(store: Store, world: World, redis: aioredis.Redis,
                                       prefix: str) -> None:  # fmt: skip
    for minute in range(5):
        world.clock.now = T0 + timedelta(minutes=minute)
        await world.gov.decide(await alert(store, world.clock.now, {"newRegion": 1.0}))
    said = await act(store, redis, prefix, _args("replay", what="drop", by="bob", flag=RULE))
    assert said == f"breakers closed: {RULE}; alerts re-delivered: 0, dropped: 2"
    dropped = await store.anomalies.delivered_as("T1", "dropped", T0 - timedelta(days=1))
    assert len(dropped) == 2
    assert all((a.delivery_reason or "").startswith("dropped by bob after") for a in dropped)
    assert await act(store, redis, prefix, _args("kept")) == (
        f"no open breaker and no kept alert for {ACCOUNT}"
    )


async def test_redis_down_never_silences(store: Store, flags_file: Path) -> None:
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    clock = Clock(T0)
    breaker = Breaker(dead, "t:dead:", clock)
    switches = Switches(flags_file, breaker=breaker.open_flags)
    switches.start()
    try:
        assert await breaker.record("T1", ACCOUNT, "a", [RULE]) == []
        assert await breaker.open_flags("T1", ACCOUNT) == frozenset()
        assert "newRegion" in (await switches.switched("T1", ACCOUNT)).enabled
        await store.accounts.attach("T1", ACCOUNT, T0)
        gov = Governance(store, PanicSwitch(dead, "t:dead:"), Policy(governance_mode="audit"),
                         clock, breaker=breaker, switches=switches)  # fmt: skip
        for minute in range(6):  # a flood the breaker cannot count: every alert still posts
            clock.now = T0 + timedelta(minutes=minute)
            anomaly = await alert(store, clock.now, {"newRegion": 1.0})
            assert (await gov.decide(anomaly)).delivery == "posted"
    finally:
        switches.shutdown()
        await dead.aclose()


def _args(action: str, **extra: str) -> argparse.Namespace:
    base = {"action": action, "workspace": "T1", "account": ACCOUNT, "flag": None}
    return argparse.Namespace(**(base | extra))
