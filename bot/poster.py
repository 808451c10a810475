"""Posting outside a Slack request (scheduler jobs): to a tenant's alert channel with its bot
token, updating a card, and the workspace's time zone (the installer's, from users.info)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.recipients import StoreRecipients
from bot.services import SlackServices

logger = logging.getLogger(__name__)


class ChannelPoster:
    """The scheduler's `Poster`: Slack calls with the tenant's own bot token."""

    def __init__(self, services: SlackServices, api_url: str) -> None:
        self._recipients = StoreRecipients(services)
        self._api_url = api_url

    async def _client(self, tenant_id: str) -> AsyncWebClient | None:
        token = await self._recipients.bot_token(tenant_id)
        return AsyncWebClient(token=token, base_url=self._api_url) if token else None

    async def post(
        self, tenant_id: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        """Post in the tenant's alert channel; False when it cannot (logged)."""
        client = await self._client(tenant_id)
        channel = await self._recipients.alert_channel(tenant_id)
        if client is None or channel is None:
            return False
        try:
            await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = exc.response.get("error")
            logger.warning("post refused: %s", error, extra={"tenant_id": tenant_id})
            return False
        return True

    async def update(
        self, tenant_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> bool:
        """Replace a posted message; False when it cannot (logged)."""
        client = await self._client(tenant_id)
        if client is None:
            return False
        try:
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = exc.response.get("error")
            logger.warning("update refused: %s", error, extra={"tenant_id": tenant_id})
            return False
        return True

    async def timezone(self, tenant_id: str) -> str | None:
        """The workspace's time zone: the installer's tz from users.info (None if unknown)."""
        client = await self._client(tenant_id)
        user = await self._recipients.installer_user(tenant_id)
        if client is None or user is None:
            return None
        try:
            answer = await client.users_info(user=user)
        except SlackApiError:
            return None
        tz = (answer.get("user") or {}).get("tz")
        return str(tz) if tz else None
