"""Panic mode on the real Redis: the global key, the per-workspace key, the policy switch."""

from __future__ import annotations

from datetime import UTC, datetime

import redis.asyncio as aioredis

from governance import PanicSwitch

NOW = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


async def test_a_workspace_pause_holds_only_that_workspace(
    redis: aioredis.Redis, prefix: str
) -> None:
    switch = PanicSwitch(redis, prefix)
    assert not (await switch.state("T1")).paused
    assert await switch.pause("T1", "U1", NOW)
    assert not await switch.pause("T1", "U2", NOW)  # already paused: the first pause stands
    state = await switch.state("T1")
    assert (state.paused, state.scope, state.by, state.since) == (True, "workspace", "U1", NOW)
    assert not (await switch.state("T2")).paused
    was = await switch.resume("T1")
    assert was.paused and was.since == NOW
    assert not (await switch.state("T1")).paused
    assert not (await switch.resume("T1")).paused


async def test_the_operator_key_pauses_everyone(redis: aioredis.Redis, prefix: str) -> None:
    switch = PanicSwitch(redis, prefix)
    await switch.set_global(True, "operator", NOW)
    assert await redis.exists(f"{prefix}panic") == 1
    assert (await switch.state("T1")).scope == "global"
    assert (await switch.state("T2")).paused
    await switch.set_global(False, "operator", NOW)
    assert not (await switch.state("T2")).paused


async def test_any_value_in_the_key_means_paused(redis: aioredis.Redis, prefix: str) -> None:
    await redis.set(f"{prefix}panic", "1")  # as an operator would with redis-cli
    assert (await PanicSwitch(redis, prefix).state("T1")).paused


async def test_policy_panic_pauses_without_redis(redis: aioredis.Redis, prefix: str) -> None:
    state = await PanicSwitch(redis, prefix, policy_panic=True).state("T1")
    assert state.paused and state.by == "policy.json"


async def test_an_unreachable_redis_leaves_alerting_on() -> None:
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        assert not (await PanicSwitch(dead, "x:").state("T1")).paused
    finally:
        await dead.aclose()
