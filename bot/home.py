"""App Home: accounts, learning countdown, burn rate, open anomalies with their buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import queries
from bot.blocks import home_view
from bot.services import SlackServices, tenant_of


async def publish_home(services: SlackServices, client: Any, tenant: str, user: str | None) -> None:
    """Render the tenant's Home tab for one user."""
    if not user:
        return
    seen = await queries.overview(services.store, tenant)
    installed = await services.store.tenants.get(tenant)
    view = home_view(
        seen.accounts,
        seen.burn,
        seen.open_anomalies,
        paused=await services.paused(tenant),
        now=services.clock(),
        learning_days=int(queries.LEARNING_DAYS),
        alert_channel=installed.alert_channel if installed else None,
        coverage=seen.coverage,
    )
    await client.views_publish(user_id=user, view=view)


def register(app: AsyncApp, services: SlackServices) -> None:
    """Refresh the Home tab when it is opened."""

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], context: Any, client: Any) -> None:
        tenant = tenant_of(context)
        if tenant is not None and event.get("tab", "home") == "home":
            await publish_home(services, client, tenant, event.get("user"))
