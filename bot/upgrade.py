"""Where Slack says "upgrade": a fresh Stripe Checkout link for the workspace, or why not."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from billing import BillingError
from bot.blocks import to_dicts
from bot.blocks.billing import upgrade_blocks
from bot.services import SlackServices

logger = logging.getLogger(__name__)

ALREADY_PRO = "This workspace is on Pro already: connect every account you want watched."
ADMINS_ONLY = (
    "Only a workspace admin or the person who installed dd0c/cost can manage API keys and "
    "billing: nothing was changed."
)
STRIPE_DOWN = "Stripe did not answer; try again in a minute."


async def upgrade_message(services: SlackServices, tenant: str, by: str) -> list[dict[str, Any]]:
    """The "Upgrade to Pro" blocks with a fresh Checkout link (or why there is none)."""
    billing = services.billing
    tenant_doc = await services.store.tenants.get(tenant)
    if tenant_doc is not None and tenant_doc.plan == "pro":
        return to_dicts([SectionBlock(text=MarkdownTextObject(text=ALREADY_PRO))])
    if billing is None or not billing.enabled:
        return to_dicts(upgrade_blocks(None))
    try:
        checkout = await billing.checkout(tenant, f"slack user {by}")
    except BillingError as exc:
        logger.warning("checkout failed: %s", type(exc).__name__, extra={"tenant_id": tenant})
        return to_dicts([SectionBlock(text=MarkdownTextObject(text=STRIPE_DOWN))])
    return to_dicts(upgrade_blocks(checkout.url))


def upgrade_modal(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The connect modal replaced by the upgrade link."""
    view = View(type="modal", title="Upgrade to Pro", close="Close", blocks=blocks)
    return view.to_dict()
