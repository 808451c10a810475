"""Billing over HTTP: Checkout against the fake Stripe server, and webhooks signed with Stripe's
scheme (bad or stale → 400, replays and older events change nothing, downgrade pauses)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp

from billing import Billing, BillingConfig, messages
from billing.service import stripe_client
from engine import BaselineKey
from onboarding.validation import Validation
from storage import Store
from tests.api.harness import Clock, Harness, served_api
from tests.onboarding.test_connect import ok_validation
from tests.stores import NOW
from tests.stripe_fake import FakeStripe, event, sign

T = "T_BILL"
SECRET = "whsec_test_" + "s" * 24
PRICE = "price_pro_19"
FIRST, SECOND, THIRD = "111111111111", "222222222222", "333333333333"


@dataclass
class Told:
    """What the alert channel was told."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, tenant_id: str, text: str) -> bool:
        self.texts.append((tenant_id, text))
        return True


@dataclass
class Billed:
    """The API with billing on the fake Stripe server."""

    api: Harness
    stripe: FakeStripe
    told: Told

    async def webhook(self, body: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        answer = await self.api.client.post("/billing/stripe/webhook", data=body, headers=headers)
        return answer.status, await answer.json()

    async def send(self, event_id: str, kind: str, obj: dict[str, Any], created: int) -> str:
        body = event(event_id, kind, obj, created)
        status, answer = await self.webhook(body, sign(body, SECRET))
        assert status == 200, answer
        return str(answer["outcome"])


@asynccontextmanager
async def billed(api_key: str | None = None) -> AsyncIterator[Billed]:
    fake = FakeStripe()
    await fake.start()
    told = Told()
    session = aiohttp.ClientSession()
    config = BillingConfig(
        api_key=api_key or fake.api_key,
        webhook_secret=SECRET,
        price_id=PRICE,
        success_url="https://dd0c.example/billing/done",
        cancel_url="https://dd0c.example/billing/done",
        api_base=fake.url,
    )

    def make(store: Store, clock: Clock) -> Billing:
        return Billing(store, config, clock, told, stripe_client(config, session))

    try:
        async with served_api(billing=make) as api:
            await api.store.tenants.ensure(T, NOW)
            yield Billed(api, fake, told)
    finally:
        await session.close()
        await fake.close()


async def _accounts(store: Store, *ids: str) -> None:
    for minutes, account_id in enumerate(ids):
        await store.accounts.attach(T, account_id, NOW + timedelta(minutes=minutes))


def _completed(sub: str = "sub_1", customer: str = "cus_1") -> dict[str, Any]:
    return {
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": T,
        "customer": customer,
        "subscription": sub,
    }


def _subscription(status: str, sub: str = "sub_1") -> dict[str, Any]:
    return {"object": "subscription", "id": sub, "status": status, "metadata": {"tenant_id": T}}


async def _plan(store: Store) -> str:
    tenant = await store.tenants.get(T)
    assert tenant is not None
    return tenant.plan


async def test_checkout_is_a_stripe_session_for_pro_per_active_account() -> None:
    async with billed() as b:
        await _accounts(b.api.store, FIRST)
        key = await b.api.key(T, "write")
        answer = await b.api.call("POST", "/v1/billing/checkout", key)
        assert answer.status == 201, answer.body
        assert answer.body["url"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
        assert answer.body["quantity"] == 1
        (call,) = b.stripe.calls_to("POST", "/v1/checkout/sessions")
        assert call.form["mode"] == "subscription"
        assert call.form["line_items[0][price]"] == PRICE
        assert call.form["line_items[0][quantity]"] == "1"
        assert call.form["client_reference_id"] == T
        assert call.form["subscription_data[metadata][tenant_id]"] == T
        read = await b.api.key(T, "read")
        assert (await b.api.call("POST", "/v1/billing/checkout", read)).status == 403


async def test_stripe_refusing_is_a_502_problem_not_a_crash() -> None:
    async with billed(api_key="sk_test_wrong") as b:
        key = await b.api.key(T, "write")
        answer = await b.api.call("POST", "/v1/billing/checkout", key)
        assert answer.status == 502 and answer.body["code"] == "stripe"
        assert await _plan(b.api.store) == "free"


async def test_without_stripe_settings_billing_is_off_and_says_so() -> None:
    async with served_api(billing=lambda store, clock: Billing(store, None, clock)) as api:
        key = await api.key(T, "write")
        answer = await api.call("POST", "/v1/billing/checkout", key)
        assert answer.status == 503 and answer.body["detail"] == messages.DISABLED
        webhook = await api.client.post("/billing/stripe/webhook", data=b"{}")
        assert webhook.status == 404


async def test_bad_missing_or_stale_signatures_are_400_and_change_nothing() -> None:
    async with billed() as b:
        body = event("evt_bad", "checkout.session.completed", _completed(), int(time.time()))
        cases = [
            None,
            "",
            "t=1,v1=00",
            sign(body, "whsec_other_secret"),
            sign(body, SECRET, int(time.time()) - 600),  # older than the 5-minute tolerance
            sign(body + b" ", SECRET),
        ]
        for signature in cases:
            status, answer = await b.webhook(body, signature)
            assert status == 400, signature
            assert answer["ok"] is False
        assert await _plan(b.api.store) == "free"
        assert await b.api.store.billing.event("evt_bad") is None
        garbage = b"\xff\xfe not json"
        status, _ = await b.webhook(garbage, sign(garbage, SECRET))
        assert status == 400


async def test_checkout_completed_makes_the_workspace_pro_once() -> None:
    async with billed() as b:
        await _accounts(b.api.store, FIRST)
        now = int(time.time())
        assert await b.send("evt_1", "checkout.session.completed", _completed(), now) == "plan pro"
        tenant = await b.api.store.tenants.get(T)
        assert tenant is not None and tenant.plan == "pro"
        assert (tenant.stripe_customer_id, tenant.stripe_subscription_id) == ("cus_1", "sub_1")
        assert b.told.texts == [(T, messages.upgraded(1))]
        replay = await b.send("evt_1", "checkout.session.completed", _completed(), now)
        assert replay == "already processed"
        assert len(b.told.texts) == 1
        assert await b.send("evt_x", "invoice.paid", {"object": "invoice"}, now) == "ignored"


async def test_an_older_deleted_event_does_not_downgrade_a_later_update() -> None:
    async with billed() as b:
        await _accounts(b.api.store, FIRST, SECOND, THIRD)
        now = int(time.time())
        await b.send("evt_c", "checkout.session.completed", _completed(), now - 100)
        updated = await b.send(
            "evt_u", "customer.subscription.updated", _subscription("active"), now - 10
        )
        assert updated == "plan pro"
        late = await b.send(
            "evt_d_old", "customer.subscription.deleted", _subscription("canceled"), now - 50
        )
        assert late == "older than the latest subscription event: ignored"
        assert await _plan(b.api.store) == "pro"
        assert len(await b.api.store.accounts.active(T)) == 3


async def test_a_downgrade_keeps_the_first_account_and_pauses_the_others_with_their_data() -> None:
    async with billed() as b:
        store = b.api.store
        await _accounts(store, SECOND, FIRST, THIRD)  # SECOND was connected first
        key = await b.api.key(T)
        now = int(time.time())
        await b.send("evt_c", "checkout.session.completed", _completed(), now - 100)
        await store.baselines.set_sensitivity(T, _baseline(FIRST), "low")
        deleted = await b.send(
            "evt_d", "customer.subscription.deleted", _subscription("canceled"), now
        )
        assert deleted == "plan free"
        assert [a.id for a in await store.accounts.active(T)] == [SECOND]
        assert [a.id for a in await store.accounts.paused(T)] == [FIRST, THIRD]
        assert await store.baselines.get(T, _baseline(FIRST)) is not None  # nothing deleted
        assert b.told.texts[-1] == (T, messages.downgraded(SECOND, [FIRST, THIRD]))
        listed = await b.api.call("GET", "/v1/accounts", key)
        statuses = {a["accountId"]: a["status"] for a in listed.body["accounts"]}
        assert statuses == {SECOND: "active", FIRST: "paused", THIRD: "paused"}
        health = await b.api.call("GET", f"/v1/accounts/{FIRST}/health", key)
        assert health.body["connected"] is False and "data kept" in health.body["detail"]
        # Pro again: the paused accounts are watched again.
        again = await b.send(
            "evt_u2", "customer.subscription.updated", _subscription("active"), now + 5
        )
        assert again == "plan pro"
        assert len(await store.accounts.active(T)) == 3
        assert messages.resumed([FIRST, THIRD]) in b.told.texts[-1][1]


async def test_disconnecting_on_pro_updates_the_subscription_quantity() -> None:
    async with billed() as b:
        store = b.api.store
        await _accounts(store, FIRST, SECOND, THIRD)
        b.stripe.add_subscription("sub_1", quantity=1)
        now = int(time.time())
        await b.send("evt_c", "checkout.session.completed", _completed(), now)
        assert b.stripe.quantity("sub_1") == 3  # synced when Pro started
        key = await b.api.key(T, "write")
        answer = await b.api.call("DELETE", f"/v1/accounts/{THIRD}", key)
        assert answer.status == 202
        assert b.stripe.quantity("sub_1") == 2
        (last,) = b.stripe.calls_to("POST", "/v1/subscription_items/")[-1:]
        assert last.form == {"quantity": "2", "proration_behavior": "create_prorations"}


def _baseline(account: str) -> BaselineKey:
    return BaselineKey(account, "ec2", "ec2:instance")


async def test_hostile_webhook_bodies_are_4xx_and_unknown_workspaces_change_nothing() -> None:
    async with billed() as b:
        now = int(time.time())
        huge = b"{" + b" " * (300 * 1024) + b"}"
        status, _ = await b.webhook(huge, sign(huge, SECRET))
        assert status == 413
        not_event = b'{"hello": "world"}'
        status, answer = await b.webhook(not_event, sign(not_event, SECRET))
        assert (status, answer["error"]) == (400, "not a Stripe event")
        stranger = _completed() | {"client_reference_id": "T_NOBODY"}
        outcome = await b.send("evt_s", "checkout.session.completed", stranger, now)
        assert outcome == "unknown workspace"
        assert await b.api.store.tenants.get("T_NOBODY") is None
        no_tenant = {"object": "subscription", "id": "sub_unknown", "status": "canceled"}
        outcome = await b.send("evt_n", "customer.subscription.deleted", no_tenant, now)
        assert outcome == "no workspace for this event"
        assert await _plan(b.api.store) == "free"


async def test_the_free_limit_answer_carries_the_upgrade_link_when_billing_is_on() -> None:
    async with billed() as b:
        await _accounts(b.api.store, FIRST)
        key = await b.api.key(T, "write")
        answer = await b.api.call("POST", "/v1/accounts/setup", key)
        assert answer.status == 403 and answer.body["code"] == "upgrade_required"
        assert answer.body["upgradeUrl"] == "/v1/billing/checkout"
        assert "not configured" not in answer.body["detail"]


async def test_connecting_through_the_api_on_pro_raises_the_quantity() -> None:
    async with billed() as b:

        async def validated(account_id: str, role_arn: str, external_id: str) -> Validation:
            return ok_validation(account_id, role_arn)  # the role is not what this test is about

        b.api.services.validate = validated
        await _accounts(b.api.store, FIRST)
        b.stripe.add_subscription("sub_1", quantity=1)
        await b.send("evt_c", "checkout.session.completed", _completed(), int(time.time()))
        key = await b.api.key(T, "write")
        role = f"arn:aws:iam::{SECOND}:role/dd0c-cost-readonly"
        body = {"accountId": SECOND, "roleArn": role}
        answer = await b.api.call("POST", "/v1/accounts", key, json=body)
        assert answer.status == 201, answer.body
        assert b.stripe.quantity("sub_1") == 2
