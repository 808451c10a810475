"""Who the notifier posts to, from the store (the notifier's Recipients protocol)."""

from __future__ import annotations

from bot.events.lifecycle import deactivate
from bot.services import SlackServices


class StoreRecipients:
    """Tokens, channels and installers of tenants, as installed through OAuth."""

    def __init__(self, services: SlackServices) -> None:
        self._services = services

    async def bot_token(self, tenant_id: str) -> str | None:
        """The tenant's bot token, or None when not installed or inactive."""
        tenant = await self._services.store.tenants.get(tenant_id)
        if tenant is None or tenant.status != "active":
            return None
        bot = await self._services.store.installations.bot_for(tenant_id)
        return bot.bot_token if bot is not None else None

    async def alert_channel(self, tenant_id: str) -> str | None:
        """The channel chosen at install."""
        tenant = await self._services.store.tenants.get(tenant_id)
        return tenant.alert_channel if tenant else None

    async def installer_user(self, tenant_id: str) -> str | None:
        """The user who installed the app."""
        tenant = await self._services.store.tenants.get(tenant_id)
        return tenant.installer_user_id if tenant else None

    async def deactivate(self, tenant_id: str, reason: str) -> None:
        """Slack refused the token: stop posting for this tenant."""
        await deactivate(self._services, tenant_id, reason)
