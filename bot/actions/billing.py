"""Upgrade buttons: "Upgrade to Pro" in a refusal (creates the Checkout session on click and
shows its link) and the link button itself (Slack still sends the click: acknowledged, audited)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.blocks import to_dicts
from bot.blocks.billing import OPEN_ACTION, UPGRADE_ACTION
from bot.commands.admin import may_govern
from bot.services import SlackServices, tenant_of
from bot.upgrade import ADMINS_ONLY, upgrade_message, upgrade_modal


def register(app: AsyncApp, services: SlackServices) -> None:
    """Listen for the upgrade buttons."""

    @app.action(UPGRADE_ACTION)
    async def clicked(ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        tenant = tenant_of(context)
        if tenant is None:
            return
        user = (body.get("user") or {}).get("id")
        await services.store.audit.record(
            tenant, "billing.upgrade_clicked", f"Upgrade to Pro opened by {user}", services.clock()
        )

    @app.action(OPEN_ACTION)
    async def open_checkout(ack: Any, body: dict[str, Any], context: Any, client: Any) -> None:
        await ack()
        tenant = tenant_of(context)
        view = body.get("view") or {}
        if tenant is None or not view.get("id"):
            return
        user = (body.get("user") or {}).get("id")
        if user is None or not await may_govern(services, client, tenant, user):
            blocks = to_dicts([SectionBlock(text=MarkdownTextObject(text=ADMINS_ONLY))])
        else:
            blocks = await upgrade_message(services, tenant, user)
        modal = upgrade_modal(blocks)
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)
