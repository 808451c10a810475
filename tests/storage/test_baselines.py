"""Baselines: one atomic update per event, counted once however often it is applied."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from engine import Baseline, BaselineKey, apply, delta_for, key_of, mark_expected
from storage import Store
from storage.baselines import APPLIED_WINDOW, baseline_id
from tests.engine.factories import T0, days, event


def _events(n: int, seed: int = 5) -> list:
    rng = random.Random(seed)
    sizes = ["m5.large", "db.r6g.xlarge", "ml.g5.2xlarge", "t3$odd%name", None]
    who = [f"arn:aws:iam::111122223333:role/r{i}" for i in range(4)]
    out = []
    for _ in range(n):
        cost = None if rng.random() < 0.1 else round(rng.uniform(0.01, 40.0), 4)
        out.append(
            event(
                cost,
                size=rng.choice(sizes),
                who=rng.choice(who),
                at=T0 + timedelta(seconds=rng.randrange(30 * 86400)),  # whole seconds
                region=rng.choice(["us-east-1", "eu-west-1"]),
            )
        )
    return out


async def test_stored_baseline_equals_the_engines_apply(store: Store) -> None:
    events = _events(300)
    expected: dict[BaselineKey, Baseline] = {}
    for ev in events:
        delta = delta_for(ev)
        assert delta is not None
        expected[delta.key] = apply(expected.get(delta.key), delta)
        assert await store.baselines.apply("t1", delta) is True
    for key, baseline in expected.items():
        assert await store.baselines.get("t1", key) == baseline


async def test_the_same_event_twice_counts_once(store: Store) -> None:
    ev = event(2.5)
    delta = delta_for(ev)
    assert delta is not None
    assert await store.baselines.apply("t1", delta) is True
    once = await store.baselines.get("t1", delta.key)
    assert await store.baselines.apply("t1", delta) is False
    assert await store.baselines.get("t1", delta.key) == once
    assert once is not None and once.stats.count == 1 and once.stats.total == 2.5


async def test_events_without_a_price_widen_sets_but_not_stats(store: Store) -> None:
    delta = delta_for(event(None, size="x9.huge"))
    assert delta is not None
    await store.baselines.apply("t1", delta)
    got = await store.baselines.get("t1", delta.key)
    assert got is not None
    assert got.stats.count == 0 and "x9.huge" in got.sizes and got.first_seen == T0


async def test_tenants_never_share_a_baseline(store: Store) -> None:
    delta = delta_for(event(1.0))
    assert delta is not None
    await store.baselines.apply("t1", delta)
    assert await store.baselines.get("t2", delta.key) is None
    assert await store.baselines.apply("t2", delta) is True
    got = await store.baselines.get("t2", delta.key)
    assert got is not None and got.stats.count == 1
    assert baseline_id("t1", delta.key) != baseline_id("t2", delta.key)


async def test_the_applied_window_is_bounded(store: Store) -> None:
    first = event(1.0)
    key = key_of(first)
    for i in range(APPLIED_WINDOW + 5):
        delta = delta_for(event(1.0, at=T0 + days(i / 1000)))
        assert delta is not None
        await store.baselines.apply("t1", delta)
    raw = await store.connection.db["baselines"].find_one({"_id": baseline_id("t1", key)})
    assert len(raw["applied"]) == APPLIED_WINDOW


async def test_mark_expected_and_sensitivity(store: Store) -> None:
    ev = event(30.0, size="p4d.24xlarge")
    delta = delta_for(ev)
    assert delta is not None
    await store.baselines.apply("t1", delta)
    await store.baselines.mark_expected("t1", delta.key, ev.size, ev.actor.principal_arn)
    await store.baselines.set_sensitivity("t1", delta.key, "high")
    got = await store.baselines.get("t1", delta.key)
    want = mark_expected(apply(None, delta), ev.size, ev.actor.principal_arn)
    assert got == want._replace(sensitivity="high")


async def test_mark_expected_before_any_event_creates_the_baseline(store: Store) -> None:
    key = key_of(event(1.0))
    await store.baselines.mark_expected("t1", key, "m5.large", None)
    got = await store.baselines.get("t1", key)
    assert got is not None and got.expected_sizes == {"m5.large"} and got.stats.count == 0
    delta = delta_for(event(1.0))
    assert delta is not None
    assert await store.baselines.apply("t1", delta) is True


@pytest.mark.parametrize("size", ["db.t3.micro", "a$b", "100%"])
async def test_sizes_with_dots_and_dollars_round_trip(store: Store, size: str) -> None:
    delta = delta_for(event(0.5, size=size))
    assert delta is not None
    await store.baselines.apply("t1", delta)
    got = await store.baselines.get("t1", delta.key)
    assert got is not None and set(got.size_stats) == {size}


async def test_unknown_fields_are_ignored_on_read(store: Store) -> None:
    delta = delta_for(event(0.5))
    assert delta is not None
    await store.baselines.apply("t1", delta)
    await store.connection.db["baselines"].update_one(
        {"_id": baseline_id("t1", delta.key)}, {"$set": {"addedByVersion9": {"x": 1}}}
    )
    assert await store.baselines.get("t1", delta.key) == apply(None, delta)
