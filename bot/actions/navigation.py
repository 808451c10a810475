"""Buttons that navigate: anomaly list pages, and "Connect an AWS account" on App Home."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot.blocks import CONNECT_ACTION_ID, PAGE_ACTION_ID, PageRequest, to_dicts
from bot.blocks.connect import connect_modal
from bot.commands.dd0c import Query, anomalies_page
from bot.services import SlackServices, tenant_of

logger = logging.getLogger(__name__)


def register(app: AsyncApp, services: SlackServices) -> None:
    """Listen for the page buttons and the connect button."""

    @app.action(PAGE_ACTION_ID)
    async def page(ack: Any, action: dict[str, Any], context: Any, respond: Any) -> None:
        await ack()
        tenant = tenant_of(context)
        try:
            request = PageRequest.parse(str(action.get("value") or ""))
        except ValidationError:
            logger.warning("unreadable page button value", extra={"tenant_id": tenant})
            return
        if tenant is None:
            return
        query = Query(request.scope, request.since, request.page)
        message = await anomalies_page(services, tenant, query)
        await respond(text=message.text, blocks=to_dicts(message.blocks), replace_original=True)

    @app.action(CONNECT_ACTION_ID)
    async def connect(ack: Any, body: dict[str, Any], context: Any, client: Any) -> None:
        await ack()
        tenant = tenant_of(context)
        onboarding = services.onboarding
        view = await onboarding.modal(tenant) if onboarding and tenant else connect_modal()
        await client.views_open(trigger_id=body["trigger_id"], view=view)
