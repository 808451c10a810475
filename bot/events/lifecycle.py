"""`app_uninstalled` and `tokens_revoked`: deactivate the workspace and stop all posting."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.services import SlackServices, tenant_of

logger = logging.getLogger(__name__)


async def deactivate(services: SlackServices, tenant: str, reason: str) -> None:
    """Mark the bot and the tenant inactive (tokens kept encrypted until a re-install)."""
    now = services.clock()
    await services.store.installations.deactivate(tenant, now)
    await services.store.tenants.set_status(tenant, "inactive", now, reason)
    await services.store.audit.record(tenant, "slack.deactivated", f"workspace {reason}", now)
    logger.info("workspace deactivated: %s", reason, extra={"tenant_id": tenant})


def register(app: AsyncApp, services: SlackServices) -> None:
    """Listen for the workspace removing the app or revoking its tokens."""

    @app.event("app_uninstalled")
    async def uninstalled(context: Any) -> None:
        tenant = tenant_of(context)
        if tenant is not None:
            await deactivate(services, tenant, "uninstalled the app")

    @app.event("tokens_revoked")
    async def revoked(event: dict[str, Any], context: Any) -> None:
        tenant = tenant_of(context)
        if tenant is not None and (event.get("tokens") or {}).get("bot"):
            await deactivate(services, tenant, "revoked the bot token")
