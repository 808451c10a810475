"""Profiles: one atomic update per call, counted once, equal to the engine's `apply_profile`
whatever the delivery order."""

from __future__ import annotations

import random
from datetime import timedelta

from engine.profiles import Profile, ProfileDelta, ProfileKey, apply_profile
from storage import Store
from tests.engine.factories import T0

KEYS = [ProfileKey("111122223333", f"arn:aws:iam::111122223333:role/r.{i}$") for i in range(3)]


def _deltas(n: int, seed: int = 7) -> list[ProfileDelta]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            ProfileDelta(
                key=rng.choice(KEYS),
                event_id=f"e-{i}",
                event_time=T0 + timedelta(seconds=rng.randrange(20 * 86400)),
                region=rng.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
                network=rng.choice(["203.0.0.0/16", "autoscaling.amazonaws.com", None]),
                agent=rng.choice(["aws-cli", "boto3", None]),
                resource_type=rng.choice(["ec2:instance", "rds:db-instance", None]),
                quantity=rng.randint(1, 12),
                rate_window=rng.choice([None, 1, 2, 5]),
            )
        )
    return out


async def test_stored_profile_equals_the_engines_apply_in_any_order(store: Store) -> None:
    deltas = _deltas(200)
    expected: dict[ProfileKey, Profile] = {}
    for d in sorted(deltas, key=lambda d: d.event_time):
        expected[d.key] = apply_profile(expected.get(d.key), d)
    shuffled = list(deltas)
    random.Random(3).shuffle(shuffled)
    for d in shuffled:
        assert await store.profiles.apply("t1", d) is True
    for key, profile in expected.items():
        assert await store.profiles.get("t1", key) == profile


async def test_the_same_call_twice_counts_once(store: Store) -> None:
    delta = _deltas(1)[0]
    assert await store.profiles.apply("t1", delta) is True
    once = await store.profiles.get("t1", delta.key)
    assert await store.profiles.apply("t1", delta) is False
    assert await store.profiles.get("t1", delta.key) == once
    assert once is not None and once.calls == 1


async def test_profiles_are_per_tenant_and_purged_with_the_account(store: Store) -> None:
    delta = _deltas(1)[0]
    await store.profiles.apply("t1", delta)
    assert await store.profiles.get("t2", delta.key) is None
    assert await store.profiles.delete_account("t1", delta.key.account_id) == 1
    assert await store.profiles.get("t1", delta.key) is None
