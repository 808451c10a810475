"""The "Upgrade to Pro" button (a link to a Stripe Checkout session) and the API key messages."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from billing import messages as billing_messages
from bot.blocks.limits import clip, escape
from storage.apikeys import ApiKey

UPGRADE_ACTION = "billing_upgrade"  # the link button (opens Stripe Checkout)
OPEN_ACTION = "billing_upgrade_open"  # makes the Checkout session, then shows the link


def upgrade_prompt(reason: str) -> list[Block]:
    """A refusal that needs Pro: the reason and a button that fetches the Checkout link."""
    button = ButtonElement(
        text=billing_messages.UPGRADE_BUTTON, action_id=OPEN_ACTION, style="primary"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=clip(reason, 3000))),
        ActionsBlock(elements=[button]),
    ]


def upgrade_blocks(url: str | None, reason: str | None = None) -> list[Block]:
    """Why an upgrade is needed, and the button (or why there is none: billing off)."""
    lines = [reason] if reason else []
    if url is None:
        lines.append(billing_messages.DISABLED)
        return [SectionBlock(text=MarkdownTextObject(text=clip(" ".join(lines), 3000)))]
    lines.append(f"Pro is {billing_messages.PRO_PRICE}; Stripe takes the payment.")
    button = ButtonElement(
        text=billing_messages.UPGRADE_BUTTON, action_id=UPGRADE_ACTION, url=url, style="primary"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=clip(" ".join(lines), 3000))),
        ActionsBlock(elements=[button]),
    ]


def key_created(secret: str, key: ApiKey) -> str:
    """The ephemeral message that shows a new key, once."""
    return (
        f"API key *{escape(key.name)}* ({key.scope}) created. Copy it now: it is shown only "
        f"this once and dd0c keeps only a hash of it.\n```{secret}```\n"
        "Use it as `Authorization: Bearer <key>`; revoke it with "
        f"`/dd0c api-key revoke {key.id}`."
    )


def key_list(keys: list[ApiKey]) -> str:
    """The workspace's keys: prefix, name, scope, creator, last use (never a secret)."""
    live = [k for k in keys if k.revoked_at is None]
    if not live:
        return "No API keys yet. Create one: `/dd0c api-key create <name> [read|write]`."
    lines = [
        f"• `{k.shown_prefix}` *{escape(k.name)}* {k.scope}, by <@{k.created_by}>, last used "
        f"{k.last_used_at.strftime('%Y-%m-%d %H:%M UTC') if k.last_used_at else 'never'}"
        for k in live
    ]
    return "API keys:\n" + "\n".join(lines)
