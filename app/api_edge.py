"""The REST API and billing, wired: their routes on the one aiohttp app, and their services
built in the running loop (called from app.wiring)."""

from __future__ import annotations

import contextlib
from datetime import datetime

import aioboto3
import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from api import ApiServices, Authenticator, RateLimit, api_routes
from app.services import SERVICES
from billing import Announce, Billing, BillingConfig, webhook_routes
from billing.service import stripe_client
from billing.webhook import DONE_PATH
from onboarding.connect import (
    CallbackTokens,
    LinkSettings,
    SetupLink,
    callback_url,
    setup_link,
)
from onboarding.validation import aioboto3_factory, validator
from settings import Settings
from storage import Store
from storage.clock import utc_now


def routes(app: web.Application) -> list[web.RouteDef]:
    """/v1/… and the Stripe webhook; they answer 503 until start-up has built their services."""

    def current_api() -> ApiServices | None:
        services = app.get(SERVICES)
        return services.api if services is not None else None

    def current_billing() -> Billing | None:
        services = app.get(SERVICES)
        return services.billing if services is not None else None

    return [*api_routes(current_api), *webhook_routes(current_billing)]


def billing_config(settings: Settings) -> BillingConfig | None:
    """Stripe's settings, or None (billing off) unless all three STRIPE_* are set."""
    if not settings.billing_enabled:
        return None
    assert settings.stripe_api_key and settings.stripe_webhook_secret and settings.stripe_price_id
    base = (settings.public_url or f"http://127.0.0.1:{settings.port}").rstrip("/")
    return BillingConfig(
        api_key=settings.stripe_api_key.get_secret_value(),
        webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
        price_id=settings.stripe_price_id,
        success_url=f"{base}{DONE_PATH}",
        cancel_url=f"{base}{DONE_PATH}",
        api_base=settings.stripe_api_url,
    )


def build_billing(
    settings: Settings, store: Store, announce: Announce | None, stack: contextlib.AsyncExitStack
) -> Billing:
    """Billing (off without STRIPE_*), its HTTP session closed on cleanup."""
    config = billing_config(settings)
    if config is None:
        return Billing(store, None, utc_now, announce)
    session = aiohttp.ClientSession()
    stack.push_async_callback(session.close)
    return Billing(store, config, utc_now, announce, stripe_client(config, session))


def build_api(
    settings: Settings, store: Store, redis: aioredis.Redis, billing: Billing
) -> ApiServices:
    """The API's services: key checks on the store, the rate limit in Redis, connect flows."""
    limit = RateLimit(redis, settings.redis_prefix, settings.api_rate_limit)
    services = ApiServices(store, Authenticator(store, limit, utc_now), utc_now, billing=billing)
    factory = aioboto3_factory(aioboto3.Session(), endpoint_url=settings.aws_endpoint_url)
    services.validate = validator(factory, utc_now)
    if settings.onboarding_enabled and settings.token_key is not None:
        assert settings.template_url and settings.event_bus_arn and settings.public_url
        tokens = CallbackTokens.from_setting(settings.token_key.get_secret_value())
        link = LinkSettings(
            template_url=settings.template_url,
            event_bus_arn=settings.event_bus_arn,
            callback_url=callback_url(settings.public_url),
            region=settings.aws_region,
        )

        async def setup(tenant_id: str, now: datetime) -> SetupLink:
            return await setup_link(store, tokens, tenant_id, now, link)

        services.setup = setup
    return services
