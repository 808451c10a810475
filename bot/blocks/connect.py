"""The AWS connection modal (`/dd0c connect`, the App Home button), seed 4.3 / 6.2.

Step 1: what the stack creates and a "Launch stack" button (the CloudFormation quick-create link
with the tenant's ExternalId). Fallback in the same modal: paste the account id and role ARN.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks._accounts import FROM_DAY_ONE
from bot.blocks.billing import upgrade_prompt
from bot.blocks.limits import clip, escape

CALLBACK_ID = "connect_aws"
ACCOUNT_BLOCK, ROLE_BLOCK, VALUE = "account", "role", "value"
ROLE_NAME = "dd0c-cost-readonly"

INTRO = (
    "*Connect an AWS account*\n"
    "dd0c/cost needs two things in your account, created by one CloudFormation stack:\n"
    "• a read-only IAM role that only dd0c/cost can assume (with your own ExternalId), and\n"
    "• EventBridge rules that forward the CloudTrail API calls that start spending "
    "(RunInstances, CreateDBInstance, …) to dd0c/cost.\n"
    "Nothing in your account is ever changed by dd0c/cost: it suggests commands, "
    "it never runs them."
)
NOT_CONFIGURED = (
    "The one-click stack is not configured on this dd0c/cost server (its operator sets "
    "DD0C_TEMPLATE_URL, DD0C_EVENT_BUS_ARN and DD0C_PUBLIC_URL). You can still connect a role "
    "created by hand below."
)
FALLBACK = (
    "*Created the stack already, or closed the console early?* Paste the account and the role "
    "and dd0c/cost checks it now."
)


def _text(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))


def _launch(url: str | None, external_id: str | None) -> list[Block]:
    if url is None:
        return [_text(NOT_CONFIGURED)]
    button = ButtonElement(
        text="Launch stack in AWS", action_id="launch_stack", url=url, style="primary"
    )
    blocks: list[Block] = [ActionsBlock(elements=[button], block_id="launch")]
    if external_id:
        note = f"Your ExternalId: `{escape(external_id)}` (the stack fills it in)."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks


def _inputs() -> list[Block]:
    account = PlainTextInputElement(
        action_id=VALUE, placeholder="123456789012", min_length=12, max_length=12
    )
    role = PlainTextInputElement(
        action_id=VALUE, placeholder=f"arn:aws:iam::123456789012:role/{ROLE_NAME}", max_length=2048
    )
    return [
        DividerBlock(),
        _text(FALLBACK),
        InputBlock(block_id=ACCOUNT_BLOCK, label="AWS account id", element=account),
        InputBlock(block_id=ROLE_BLOCK, label="Role ARN", element=role),
    ]


def connect_modal(
    url: str | None = None,
    external_id: str | None = None,
    refusal: str | None = None,
    *,
    upgrade: bool = False,
) -> dict[str, Any]:
    """The modal: launch button (or why not), then the manual fallback; or only the refusal
    (with the "Upgrade to Pro" button when `upgrade`: the free plan's limit)."""
    if refusal is not None:
        blocks: list[Block] = [_text(INTRO)]
        blocks += upgrade_prompt(refusal) if upgrade else [_text(refusal)]
        view = View(
            type="modal", callback_id=CALLBACK_ID, title="Connect AWS", close="Close", blocks=blocks
        )
        return view.to_dict()
    blocks = [_text(INTRO), *_launch(url, external_id), *_inputs()]
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Connect AWS",
        submit="Connect",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def connected_modal(account_id: str, learning_days: int) -> dict[str, Any]:
    """What the modal shows once the role checked out."""
    text = (
        f":white_check_mark: *AWS account {escape(account_id)} is connected.*\n"
        f"dd0c/cost learns what is normal for the next {learning_days} days (statistical findings "
        f"go to the daily digest meanwhile); {FROM_DAY_ONE}. A zombie scan of idle resources is "
        "running; its report will be posted in your alert channel."
    )
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Connect AWS",
        close="Done",
        blocks=[_text(text)],
    )
    return view.to_dict()
