"""`/dd0c anomalies`: recent anomalies, newest first, a page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.blocks._format import as_utc, compact_line
from bot.blocks.limits import MESSAGE_BLOCKS_MAX, clip, escape, more, plural
from bot.blocks.message import Message, context, fallback, header, section
from storage.anomalies import StoredAnomaly

PAGE_ACTION_ID = "anomalies_page"
# Both buttons share the action id (the value says which page), so each sits in its own block:
# Slack wants action ids unique within a block.
PAGE_BLOCK_IDS = {"newer": "anomalies_page_newer", "older": "anomalies_page_older"}
# Header, summary, "…and N more", two pager blocks: the rest of a message's 50 blocks are rows.
ROWS_MAX = MESSAGE_BLOCKS_MAX - 5

Scope = Literal["open", "all"]


class PageRequest(BaseModel):
    """Which page of which list a pagination button asks for (its `value`, as JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: Scope = "open"
    since: str | None = Field(default=None, pattern=r"^[0-9]{1,4}[hd]$")
    page: int = Field(default=1, ge=1, le=100_000)

    def value(self) -> str:
        """The button value: compact JSON, well under Slack's 2,000 characters."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def parse(cls, value: str) -> PageRequest:
        """The request a button value encodes (pydantic's ValidationError when it is not one)."""
        return cls.model_validate_json(value)


def _page_block(text: str, request: PageRequest, block_id: str) -> ActionsBlock:
    button = ButtonElement(text=text, action_id=PAGE_ACTION_ID, value=request.value())
    return ActionsBlock(elements=[button], block_id=block_id)


def _pager(request: PageRequest, pages: int) -> list[Block]:
    blocks: list[Block] = []
    if request.page > 1:
        back = request.model_copy(update={"page": min(request.page - 1, pages)})
        blocks.append(_page_block("← Newer", back, PAGE_BLOCK_IDS["newer"]))
    if request.page < pages:
        forward = request.model_copy(update={"page": request.page + 1})
        blocks.append(_page_block("Older →", forward, PAGE_BLOCK_IDS["older"]))
    return blocks


def _scope_text(request: PageRequest) -> str:
    scope = "open ones" if request.scope == "open" else "all"
    return f"{scope}, last {request.since}" if request.since else scope


def anomaly_list(
    anomalies: Sequence[StoredAnomaly],
    *,
    title: str,
    page: int,
    page_size: int,
    total: int,
    now: datetime,
    scope: Scope = "open",
    since: str | None = None,
) -> Message:
    """One page of anomalies (newest first) with Newer/Older buttons; an empty state."""
    request = PageRequest(scope=scope, since=since, page=max(page, 1))
    pages = max(math.ceil(max(total, 0) / max(page_size, 1)), 1)
    blocks: list[Block] = [header(title)]
    if not anomalies:
        blocks.append(section(f"No anomalies ({escape(_scope_text(request))}). All quiet."))
        return Message(text=fallback(escape(f"{clip(title, 150)}: no anomalies")), blocks=blocks)
    rows = sorted(anomalies, key=lambda a: as_utc(a.event_time), reverse=True)
    shown = rows[:ROWS_MAX]
    summary = f"Page {request.page} of {pages} · {plural(total, 'anomaly', 'anomalies')}"
    blocks.append(context(f"{summary} · {escape(_scope_text(request))}"))
    blocks += [section(compact_line(a, now)) for a in shown]
    if len(rows) > len(shown):
        blocks.append(context(more(len(rows) - len(shown), "on this page")))
    blocks += _pager(request, pages)
    return Message(text=fallback(escape(f"{clip(title, 150)}: {summary}")), blocks=blocks)
