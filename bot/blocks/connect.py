"""The AWS connection modal (`/dd0c connect`, the App Home button). The onboarding issue adds the
CloudFormation quick-create link and the role check; this is its first step."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

CALLBACK_ID = "connect_aws"

INTRO = (
    "*Connect an AWS account*\n"
    "dd0c/cost needs two things in your account, created by one CloudFormation stack:\n"
    "• a read-only IAM role that only dd0c/cost can assume (with your own ExternalId), and\n"
    "• an EventBridge rule that forwards the CloudTrail API calls that start spending "
    "(RunInstances, CreateDBInstance, …) to dd0c/cost.\n"
    "Nothing in your account is ever changed by dd0c/cost: it suggests commands, "
    "it never runs them."
)


def connect_modal() -> dict[str, Any]:
    """The modal's view payload."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=INTRO)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="The one-click stack link is being prepared; until then ask your "
                    "dd0c/cost operator to connect the account."
                )
            ]
        ),
    ]
    view = View(
        type="modal", callback_id=CALLBACK_ID, title="Connect AWS", close="Close", blocks=blocks
    )
    return view.to_dict()
