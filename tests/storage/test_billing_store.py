"""Stripe events are claimed once; a claim never settled is taken again after its lease; the
plan follows the newest subscription event only."""

from __future__ import annotations

from datetime import timedelta

from storage.billing import CLAIM_LEASE
from tests.stores import NOW, fresh_store


async def test_an_event_is_claimed_once_and_an_abandoned_claim_after_its_lease() -> None:
    store = await fresh_store()
    assert await store.billing.claim_event("evt_1", "checkout.session.completed", NOW)
    assert not await store.billing.claim_event("evt_1", "checkout.session.completed", NOW)
    later = NOW + CLAIM_LEASE + timedelta(seconds=1)
    assert await store.billing.claim_event("evt_1", "checkout.session.completed", later)
    await store.billing.settle_event("evt_1", "T1", "plan pro")
    much_later = later + CLAIM_LEASE * 10
    assert not await store.billing.claim_event("evt_1", "checkout.session.completed", much_later)
    await store.close()


async def test_the_plan_follows_the_newest_event_only() -> None:
    store = await fresh_store()
    await store.tenants.ensure("T1", NOW)
    assert await store.billing.apply_plan("T1", "pro", NOW, NOW, subscription_id="sub_1")
    assert not await store.billing.apply_plan("T1", "free", NOW - timedelta(seconds=1), NOW)
    assert await store.billing.apply_plan("T1", "free", NOW + timedelta(seconds=1), NOW)
    tenant = await store.tenants.get("T1")
    assert tenant is not None and tenant.plan == "free"
    assert tenant.stripe_subscription_id == "sub_1"
    assert await store.billing.tenant_for_subscription("sub_1") == "T1"
    assert not await store.billing.apply_plan("T_NONE", "pro", NOW, NOW)
    await store.close()
