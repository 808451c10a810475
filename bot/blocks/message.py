"""What every builder returns: Block Kit blocks plus the plain-text fallback Slack requires."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.blocks.limits import (
    CONTEXT_ELEMENTS_MAX,
    CONTEXT_TEXT_MAX,
    FALLBACK_TEXT_MAX,
    HEADER_TEXT_MAX,
    SECTION_TEXT_MAX,
    clip,
    clip_mrkdwn,
)


@dataclass(frozen=True, slots=True)
class Message:
    """A message ready for chat.postMessage / chat.update / response_url: `text` and `blocks`."""

    text: str
    blocks: list[Block]

    def to_dict(self) -> dict[str, Any]:
        """The `text` and `blocks` arguments of a Slack API call (validated)."""
        return {"text": self.text, "blocks": to_dicts(self.blocks)}


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """The blocks as JSON-ready dicts; slack_sdk validates each (SlackObjectFormationError)."""
    return [block.to_dict() for block in blocks]


def fallback(text: str) -> str:
    """The notification text, clipped (it is mrkdwn too, so callers escape user text)."""
    return clip_mrkdwn(text, FALLBACK_TEXT_MAX)


def header(text: str) -> HeaderBlock:
    """A header block (plain text, emoji shortcodes rendered), clipped to Slack's 150."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_TEXT_MAX), emoji=True))


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    """A mrkdwn section, clipped to Slack's 3,000 characters."""
    body = MarkdownTextObject(text=clip_mrkdwn(text, SECTION_TEXT_MAX))
    return SectionBlock(text=body, block_id=block_id)


def context(*texts: str) -> ContextBlock:
    """A context block of mrkdwn elements (at most 10, each clipped)."""
    elements = [
        MarkdownTextObject(text=clip_mrkdwn(t, CONTEXT_TEXT_MAX))
        for t in texts[:CONTEXT_ELEMENTS_MAX]
    ]
    return ContextBlock(elements=elements)
