"""Billing: a Checkout session for Pro, the plan a Stripe event sets, and the subscription's
quantity kept equal to the workspace's active accounts.

Pro is one per-unit price (STRIPE_PRICE_ID, $19) times the active accounts; Stripe prorates
quantity changes. A downgrade to free keeps the first-connected account watched and pauses the
others (kept, not deleted); coming back to Pro resumes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp
import stripe
from stripe._base_address import BaseAddresses

from billing import messages
from billing.errors import BillingDisabledError, StripeUnavailableError
from storage import Store
from storage.tenants import Plan

logger = logging.getLogger(__name__)

STRIPE_TIMEOUT = 20.0
PAUSED_REASON = "free plan: Pro subscription ended"


class Announce(Protocol):
    """Tells a workspace something in its alert channel (bot.poster.ChannelPoster.post)."""

    async def __call__(self, tenant_id: str, text: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class BillingConfig:
    """Stripe's settings (all three set, or billing is off)."""

    api_key: str
    webhook_secret: str
    price_id: str
    success_url: str
    cancel_url: str
    api_base: str | None = None  # tests: the local fake Stripe server


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    """A Checkout session to open."""

    url: str
    session_id: str
    quantity: int


def stripe_client(config: BillingConfig, session: aiohttp.ClientSession) -> stripe.StripeClient:
    """The SDK's client on our aiohttp session (closed by its owner); `api_base` for a fake."""
    bases: BaseAddresses = {"api": config.api_base} if config.api_base else {}
    return stripe.StripeClient(
        config.api_key,
        base_addresses=bases,
        http_client=stripe.AIOHTTPClient(session=session, timeout=STRIPE_TIMEOUT),
        max_network_retries=1,
    )


class Billing:
    """Stripe on one side, the tenant's plan and accounts on the other."""

    def __init__(
        self,
        store: Store,
        config: BillingConfig | None,
        clock: Callable[[], datetime],
        announce: Announce | None = None,
        client: stripe.StripeClient | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.announce = announce
        self._client = client if config is not None else None

    @property
    def enabled(self) -> bool:
        """Whether Pro can be bought here."""
        return self.config is not None and self._client is not None

    def _stripe(self) -> tuple[stripe.StripeClient, BillingConfig]:
        if self._client is None or self.config is None:
            raise BillingDisabledError(messages.DISABLED)
        return self._client, self.config

    async def active_count(self, tenant_id: str) -> int:
        """How many accounts the workspace has watched now (the quantity billed, at least 1)."""
        return max(1, len(await self.store.accounts.active(tenant_id)))

    async def checkout(self, tenant_id: str, by: str) -> CheckoutResult:
        """A Checkout session for Pro tied to the workspace (client_reference_id, metadata)."""
        client, config = self._stripe()
        tenant = await self.store.tenants.get(tenant_id)
        quantity = await self.active_count(tenant_id)
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": config.price_id, "quantity": quantity}],
            "client_reference_id": tenant_id,
            "metadata": {"tenant_id": tenant_id, "requested_by": by},
            "subscription_data": {"metadata": {"tenant_id": tenant_id}},
            "success_url": config.success_url,
            "cancel_url": config.cancel_url,
        }
        if tenant is not None and tenant.stripe_customer_id:
            params["customer"] = tenant.stripe_customer_id
        try:  # params: a plain dict for the SDK's SessionCreateParams TypedDict
            session = await client.v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            raise StripeUnavailableError(f"Stripe refused the Checkout session: {exc}") from exc
        await self.store.audit.record(
            tenant_id,
            "billing.checkout",
            f"Checkout session for Pro ({quantity} accounts) opened by {by}",
            self.clock(),
            {"sessionId": session.id, "quantity": quantity, "by": by},
        )
        return CheckoutResult(url=str(session.url), session_id=session.id, quantity=quantity)

    async def sync_quantity(self, tenant_id: str) -> int | None:
        """Set the Pro subscription's quantity to the active accounts; the quantity, or None
        when there is nothing to update (free plan, billing off). Stripe prorates."""
        tenant = await self.store.tenants.get(tenant_id)
        if not self.enabled or tenant is None or tenant.plan != "pro":
            return None
        if not tenant.stripe_subscription_id:
            return None
        client, _ = self._stripe()
        quantity = await self.active_count(tenant_id)
        try:
            subscription = await client.v1.subscriptions.retrieve_async(
                tenant.stripe_subscription_id
            )
            item = subscription["items"]["data"][0]
            if int(item["quantity"]) != quantity:
                await client.v1.subscription_items.update_async(
                    item["id"], {"quantity": quantity, "proration_behavior": "create_prorations"}
                )
        except (stripe.StripeError, KeyError, IndexError, TypeError) as exc:
            raise StripeUnavailableError(f"could not update the subscription: {exc}") from exc
        return quantity

    async def sync_quantity_quietly(self, tenant_id: str) -> None:
        """`sync_quantity`, logging a failure (a connect never fails because Stripe did)."""
        try:
            await self.sync_quantity(tenant_id)
        except StripeUnavailableError:
            logger.warning("subscription quantity not updated", extra={"team_id": tenant_id})

    async def plan_changed(self, tenant_id: str, before: Plan, after: Plan) -> None:
        """What a plan change does to the accounts, and what the channel is told."""
        if before == after:
            return
        if after == "free":
            await self._downgrade(tenant_id)
            return
        now = self.clock()
        resumed = [
            account.id
            for account in await self.store.accounts.paused(tenant_id)
            if await self.store.accounts.unpause(tenant_id, account.id)
        ]
        text = messages.upgraded(len(await self.store.accounts.active(tenant_id)))
        if resumed:
            text += " " + messages.resumed(resumed)
        await self.store.audit.record(
            tenant_id, "billing.pro", "plan: pro", now, {"resumed": resumed}
        )
        await self._tell(tenant_id, text)
        await self.sync_quantity_quietly(tenant_id)

    async def _downgrade(self, tenant_id: str) -> None:
        now = self.clock()
        active = await self.store.accounts.active(tenant_id)  # oldest connection first
        kept = active[0].id if active else None
        paused = [
            account.id
            for account in active[1:]
            if await self.store.accounts.pause(tenant_id, account.id, PAUSED_REASON, now)
        ]
        text = messages.downgraded(kept, paused)
        await self.store.audit.record(
            tenant_id, "billing.free", text, now, {"kept": kept, "paused": paused}
        )
        await self._tell(tenant_id, text)

    async def _tell(self, tenant_id: str, text: str) -> None:
        if self.announce is None:
            return
        try:
            await self.announce(tenant_id, text)
        except Exception:  # the plan is changed either way; the channel is a courtesy
            logger.exception("billing announcement failed", extra={"team_id": tenant_id})
