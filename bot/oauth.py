"""Slack OAuth v2: the install page, the redirect, and what an install creates (seed 7.1)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import INSTALLED
from bot.services import SlackServices
from storage.installations import tenant_id_for

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
BOT_SCOPES = ("chat:write", "commands", "incoming-webhook", "im:write")


async def record_install(services: SlackServices, installation: Any) -> str:
    """Create or reactivate the tenant with the chosen alert channel; returns the tenant id."""
    tenant = tenant_id_for(
        installation.enterprise_id, installation.team_id, installation.is_enterprise_install
    )
    now = services.clock()
    channel = installation.incoming_webhook_channel_id
    await services.store.tenants.installed(
        tenant,
        now,
        name=installation.enterprise_name
        if installation.is_enterprise_install
        else installation.team_name,
        alert_channel=channel,
        installer_user_id=installation.user_id,
        team_id=installation.team_id,
        enterprise_id=installation.enterprise_id,
    )
    await services.store.audit.record(
        tenant,
        "slack.installed",
        f"installed by {installation.user_id}, alerts to {channel}",
        now,
    )
    return tenant


def oauth_settings(
    services: SlackServices, client_id: str, client_secret: str, api_url: str
) -> AsyncOAuthSettings:
    """OAuth with the Mongo installation and state stores, and our install side effects."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        await record_install(services, installation)
        channel = installation.incoming_webhook_channel_id
        if channel and installation.bot_token:
            client = AsyncWebClient(token=installation.bot_token, base_url=api_url)
            try:
                await client.chat_postMessage(channel=channel, text=INSTALLED)
            except Exception:  # the install itself succeeded; the welcome is a courtesy
                logger.exception("welcome message failed")
        return await args.default.success(args)

    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=services.store.installations,
        state_store=services.store.oauth_states,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )
    settings.callback_options = AsyncCallbackOptions(
        success=success, failure=lambda args: args.default.failure(args)
    )
    return settings
