"""App Home's alert-channel picker: alerts go to the chosen channel from now on, if the bot is
in it; otherwise the person is told what the bot needs (an invitation) and nothing changes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import messages
from bot.blocks.home import CHANNEL_ACTION_ID
from bot.home import publish_home
from bot.services import SlackServices, tenant_of

logger = logging.getLogger(__name__)


async def _is_member(client: Any, channel: str) -> bool:
    try:
        answer = await client.conversations_info(channel=channel)
    except SlackApiError as exc:
        logger.info("conversations.info refused: %s", exc.response.get("error"))
        return False
    return bool((answer.get("channel") or {}).get("is_member"))


async def choose(
    services: SlackServices, client: Any, tenant: str, user: str, channel: str
) -> bool:
    """Make `channel` the alert channel if the bot is in it; tell `user` either way."""
    if not await _is_member(client, channel):
        await client.chat_postMessage(channel=user, text=messages.not_in_channel(channel))
        return False
    await services.store.tenants.set_alert_channel(tenant, channel)
    sentence = f"Alert channel set to {channel} by {user}"
    detail = {"channel": channel, "userId": user}
    await services.store.audit.record(
        tenant, "tenant.alert_channel", sentence, services.clock(), detail
    )
    await client.chat_postMessage(channel=channel, text=messages.channel_chosen(user))
    return True


def register(app: AsyncApp, services: SlackServices) -> None:
    """Listen for the App Home channel picker."""

    @app.action(CHANNEL_ACTION_ID)
    async def picked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any
    ) -> None:
        await ack()
        tenant, user = tenant_of(context), (body.get("user") or {}).get("id")
        channel = str(action.get("selected_conversation") or "")
        if tenant is None or not user or not channel:
            return
        await choose(services, client, tenant, user, channel)
        await publish_home(services, client, tenant, user)
