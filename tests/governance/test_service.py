"""Governance over the store and the real Redis: decisions recorded beside the severity with one
audit entry each, snoozed patterns, overrides that only tighten, promotion, pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from governance import Governance, PanicSwitch, Policy
from storage import Store
from tests.governance.records import recorded

T0 = datetime.now(UTC).replace(microsecond=0)
ACCOUNT = "111122223333"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def governance(store: Store, redis: aioredis.Redis, prefix: str, clock: Clock) -> Governance:
    return Governance(store, PanicSwitch(redis, prefix), Policy(), clock)


async def test_a_new_account_in_strict_posts_the_fast_path_and_holds_statistics(
    store: Store, redis: aioredis.Redis, prefix: str
) -> None:
    gov = governance(store, redis, prefix, Clock(T0))
    await store.accounts.attach("T1", ACCOUNT, T0)
    fast = await recorded(store, "T1", T0, fast_path=True, cost=9.0)
    statistical = await recorded(store, "T1", T0, fast_path=False, cost=3.0)
    info = await recorded(store, "T1", T0, severity="info", cost=0.6)

    assert (await gov.decide(fast)).delivery == "posted"
    held = await gov.decide(statistical)
    assert held.delivery == "held-back" and "suppressed by strict mode" in held.reason
    assert (await gov.decide(info)).delivery == "digest"

    kept = await store.anomalies.get("T1", statistical.id)
    assert kept is not None
    assert (kept.severity, kept.delivery) == ("warning", "held-back")  # severity never lowered
    assert kept.delivery_reason == held.reason
    entries = await store.audit.recent("T1", kind="governance.held-back")
    assert [e.message for e in entries] == [held.reason]
    assert len(await store.audit.recent("T1")) == 3  # one entry per decision


async def test_after_promotion_a_statistical_warning_posts(
    store: Store, redis: aioredis.Redis, prefix: str
) -> None:
    clock = Clock(T0)
    gov = governance(store, redis, prefix, clock)
    await store.accounts.attach("T1", ACCOUNT, T0)
    clock.now = T0 + timedelta(days=13)
    assert await gov.promote_due() == []  # 13 days: still learning
    clock.now = T0 + timedelta(days=14, minutes=1)
    (promotion,) = await gov.promote_due()
    assert (
        promotion.sentence == f"Auto-promoted {ACCOUNT} to audit after 14 days, 0% false positives"
    )
    assert await gov.promote_due() == []  # once
    (entry,) = await store.audit.recent("T1", kind="governance.promoted")
    assert entry.message == promotion.sentence
    later = await recorded(store, "T1", clock.now, fast_path=False)
    assert (await gov.decide(later)).delivery == "posted"


async def test_too_many_false_positives_keep_the_account_strict(
    store: Store, redis: aioredis.Redis, prefix: str
) -> None:
    clock = Clock(T0)
    gov = governance(store, redis, prefix, clock)
    await store.accounts.attach("T1", ACCOUNT, T0)
    found = [await recorded(store, "T1", T0) for _ in range(10)]
    await store.anomalies.set_status("T1", found[0].id, "expected", T0, by="U1")  # 10 %
    clock.now = T0 + timedelta(days=20)
    assert await gov.promote_due() == []
    account = await store.accounts.get("T1", ACCOUNT)
    assert account is not None and gov.mode_of(account) == "strict"


async def test_an_override_may_only_tighten(
    store: Store, redis: aioredis.Redis, prefix: str
) -> None:
    clock = Clock(T0)
    gov = governance(store, redis, prefix, clock)
    await store.accounts.attach("T1", ACCOUNT, T0)
    refused = await gov.set_override("T1", ACCOUNT, "audit", "U1")
    assert not refused.ok and "more restrictive" in refused.message
    assert not (await gov.set_override("T1", "999999999999", "strict", "U1")).ok
    clock.now = T0 + timedelta(days=15)
    await gov.promote_due()
    assert (await gov.set_override("T1", ACCOUNT, "strict", "U1")).ok
    account = await store.accounts.get("T1", ACCOUNT)
    assert account is not None and gov.mode_of(account) == "strict"
    statistical = await recorded(store, "T1", clock.now)
    assert (await gov.decide(statistical)).delivery == "held-back"
    assert (await gov.set_override("T1", ACCOUNT, "audit", "U1")).ok  # back to what it earned
    account = await store.accounts.get("T1", ACCOUNT)
    assert account is not None and account.mode_override is None and gov.mode_of(account) == "audit"
    modes = await store.audit.recent("T1", kind="governance.mode")
    assert sorted(e.message for e in modes) == [
        f"Account {ACCOUNT} set to audit mode by U1",
        f"Account {ACCOUNT} set to strict mode by U1",
    ]


async def test_a_snoozed_pattern_holds_back_even_the_fast_path(
    store: Store, redis: aioredis.Redis, prefix: str
) -> None:
    gov = governance(store, redis, prefix, Clock(T0))
    await store.accounts.attach("T1", ACCOUNT, T0)
    first = await recorded(store, "T1", T0, fast_path=True)
    until = T0 + timedelta(hours=4)
    await store.anomalies.set_status("T1", first.id, "snoozed", T0, by="U1", snooze_until=until)
    same = await recorded(store, "T1", T0, fast_path=True)
    other_person = await recorded(store, "T1", T0, fast_path=True, who="arn:aws:iam::1:user/bob")
    decision = await gov.decide(same)
    assert decision.delivery == "held-back" and "snoozed until" in decision.reason
    assert (await gov.decide(other_person)).delivery == "posted"


async def test_pause_then_resume_counts_what_was_not_sent(
    store: Store, redis: aioredis.Redis, prefix: str
) -> None:
    clock = Clock(T0)
    gov = governance(store, redis, prefix, clock)
    await store.accounts.attach("T1", ACCOUNT, T0)
    assert await gov.pause("T1", "U1")
    assert await gov.paused("T1") and not await gov.paused("T2")
    clock.now = T0 + timedelta(minutes=5)
    for severity in ("critical", "warning", "warning"):
        anomaly = await recorded(store, "T1", clock.now, severity=severity, fast_path=True)
        assert (await gov.decide(anomaly)).delivery == "paused"
    resumed = await gov.resume("T1", "U1")
    assert resumed.total == 3 and resumed.by_severity == {"critical": 1, "warning": 2}
    assert not await gov.paused("T1")
    (entry,) = await store.audit.recent("T1", kind="governance.resume")
    assert entry.message == "Alerting resumed by U1; 3 alerts were not sent while paused"
