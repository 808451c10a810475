"""`POST /billing/stripe/webhook`: Stripe's signed events → the workspace's plan.

- The `Stripe-Signature` header (t=…,v1=HMAC-SHA256 of "t.payload" under the endpoint secret)
  is verified before anything is read; a bad or stale (> 5 min) signature → 400, nothing changes.
- Each event id is claimed once (storage.billing): a replay answers 200 and changes nothing.
- Subscription events older than the newest applied are ignored (out of order).
- `checkout.session.completed` → pro; `customer.subscription.updated` → the plan its status
  says; `customer.subscription.deleted` → free (first account kept, the others paused).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import stripe
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from billing.service import Billing
from storage import StoreUnavailableError
from storage.tenants import Plan

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/billing/stripe/webhook"
DONE_PATH = "/billing/done"
MAX_BODY = 256 * 1024
TOLERANCE_SECONDS = 300
PRO_STATUSES = frozenset({"active", "trialing", "past_due"})
FREE_STATUSES = frozenset({"canceled", "unpaid", "incomplete_expired"})


class _EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    object: dict[str, Any]


class StripeEvent(BaseModel):
    """The part of a Stripe event billing reads."""

    model_config = ConfigDict(extra="ignore")
    id: str
    type: str
    created: int
    data: _EventData

    @property
    def created_at(self) -> datetime:
        """When Stripe created the event (orders subscription events)."""
        return datetime.fromtimestamp(self.created, UTC)


Handler = Callable[[Billing, StripeEvent], Awaitable[tuple[str | None, str]]]


async def _apply(
    billing: Billing,
    event: StripeEvent,
    tenant_id: str | None,
    plan: Plan,
    **ids: str | None,
) -> tuple[str | None, str]:
    if tenant_id is None:
        return None, "no workspace for this event"
    tenant = await billing.store.tenants.get(tenant_id)
    if tenant is None:
        return tenant_id, "unknown workspace"
    applied = await billing.store.billing.apply_plan(
        tenant_id, plan, event.created_at, billing.clock(), **ids
    )
    if not applied:
        return tenant_id, "older than the latest subscription event: ignored"
    await billing.plan_changed(tenant_id, tenant.plan, plan)
    return tenant_id, f"plan {plan}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def _checkout_completed(billing: Billing, event: StripeEvent) -> tuple[str | None, str]:
    session = event.data.object
    if session.get("mode") != "subscription":
        return _text(session.get("client_reference_id")), "not a subscription checkout"
    return await _apply(
        billing,
        event,
        _text(session.get("client_reference_id")),
        "pro",
        customer_id=_text(session.get("customer")),
        subscription_id=_text(session.get("subscription")),
    )


async def _subscription_tenant(billing: Billing, subscription: dict[str, Any]) -> str | None:
    metadata = subscription.get("metadata")
    from_metadata = _text(metadata.get("tenant_id")) if isinstance(metadata, dict) else None
    if from_metadata:
        return from_metadata
    sub_id = _text(subscription.get("id"))
    return await billing.store.billing.tenant_for_subscription(sub_id) if sub_id else None


async def _subscription_updated(billing: Billing, event: StripeEvent) -> tuple[str | None, str]:
    subscription = event.data.object
    tenant_id = await _subscription_tenant(billing, subscription)
    status = subscription.get("status")
    if status not in PRO_STATUSES | FREE_STATUSES:
        return tenant_id, f"subscription {status}: no change"
    plan: Plan = "pro" if status in PRO_STATUSES else "free"
    return await _apply(
        billing,
        event,
        tenant_id,
        plan,
        customer_id=_text(subscription.get("customer")),
        subscription_id=_text(subscription.get("id")),
    )


async def _subscription_deleted(billing: Billing, event: StripeEvent) -> tuple[str | None, str]:
    subscription = event.data.object
    tenant_id = await _subscription_tenant(billing, subscription)
    return await _apply(billing, event, tenant_id, "free")


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _checkout_completed,
    "customer.subscription.created": _subscription_updated,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
}


def _refused(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "error": text}, status=status)


def verified_event(payload: bytes, signature: str | None, secret: str) -> StripeEvent | str:
    """The event when the signature is good and fresh; otherwise why not."""
    if not signature:
        return "missing Stripe-Signature header"
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
    except UnicodeDecodeError:
        return "body is not UTF-8"
    except stripe.SignatureVerificationError:
        return "bad or stale Stripe-Signature"
    try:
        return StripeEvent.model_validate_json(payload)
    except ValidationError:
        return "not a Stripe event"


async def handle_event(billing: Billing, event: StripeEvent) -> str:
    """Apply one verified event once; what it did."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    store = billing.store.billing
    if not await store.claim_event(event.id, event.type, billing.clock()):
        return "already processed"
    try:
        tenant_id, outcome = await handler(billing, event)
    except BaseException:
        await store.release_event(event.id)  # Stripe retries; the retry is processed
        raise
    await store.settle_event(event.id, tenant_id, outcome)
    logger.info(
        "stripe event", extra={"team_id": tenant_id, "type": event.type, "outcome": outcome}
    )
    return outcome


def webhook_routes(current: Callable[[], Billing | None]) -> list[web.RouteDef]:
    """The webhook (and the page Checkout returns to); `current` is the running Billing."""

    async def webhook(request: web.Request) -> web.Response:
        billing = current()
        if billing is None or billing.config is None:
            return _refused(404, "billing is not configured on this service")
        if (request.content_length or 0) > MAX_BODY:
            return _refused(413, "body too large")
        payload = await request.content.read(MAX_BODY + 1)
        if len(payload) > MAX_BODY:
            return _refused(413, "body too large")
        event = verified_event(
            payload, request.headers.get("Stripe-Signature"), billing.config.webhook_secret
        )
        if isinstance(event, str):
            logger.warning("stripe webhook refused: %s", event)
            return _refused(400, event)
        try:
            outcome = await handle_event(billing, event)
        except StoreUnavailableError:  # the claim was released: Stripe's retry is processed
            logger.warning("stripe webhook: database unavailable", extra={"type": event.type})
            return _refused(503, "database unavailable; Stripe will retry")
        return web.json_response({"ok": True, "outcome": outcome})

    async def done(request: web.Request) -> web.Response:
        return web.Response(
            text="Thank you: dd0c Pro is being switched on. You can close this tab; "
            "Slack will confirm in your alert channel.",
        )

    return [web.post(WEBHOOK_PATH, webhook), web.get(DONE_PATH, done)]
