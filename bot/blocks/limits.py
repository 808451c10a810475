"""Slack's Block Kit limits, and the helpers that keep any input inside them.

Every builder clips user-controlled text and truncates long lists ("…and N more") with these,
so a message is valid whatever the anomaly, account or reason text holds.
"""

from __future__ import annotations

from collections.abc import Sequence

HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
ACTION_ID_MAX = 255
BLOCK_ID_MAX = 255
BUTTON_VALUE_MAX = 2000
MESSAGE_BLOCKS_MAX = 50
HOME_BLOCKS_MAX = 100
# Slack truncates a message's top-level `text` past 40,000 characters; notifications need far less.
FALLBACK_TEXT_MAX = 3000

ELLIPSIS = "…"
_ENTITY_MAX = 5  # the longest entity escape() writes: "&amp;"


def escape(text: str) -> str:
    """Text safe to put in mrkdwn: `&`, `<` and `>` become entities (no links, no mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def clip_mrkdwn(text: str, limit: int) -> str:
    """mrkdwn cut to `limit` characters without splitting an entity or a `<…>` token."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:] and len(cut) - amp < _ENTITY_MAX:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt >= 0 and ">" not in cut[lt:]:
        cut = cut[:lt]
    return cut + ELLIPSIS


def more(hidden: int, noun: str = "") -> str:
    """The line that stands for what was left out: "…and 3 more" (or "…and 3 more ids")."""
    return f"{ELLIPSIS}and {hidden} more{' ' + noun if noun else ''}"


def fit_lines(lines: Sequence[str], limit: int, *, noun: str = "", sep: str = "\n") -> str:
    """As many mrkdwn lines as fit in `limit` characters, then "…and N more" for the rest."""
    reserve = len(sep) + len(more(len(lines), noun))
    shown: list[str] = []
    used = 0
    for line in lines:
        cost = len(line) + (len(sep) if shown else 0)
        if used + cost + reserve > limit:
            break
        shown.append(line)
        used += cost
    if not shown and lines:
        shown.append(clip_mrkdwn(lines[0], limit - reserve))
    hidden = len(lines) - len(shown)
    if hidden:
        shown.append(more(hidden, noun))
    return clip_mrkdwn(sep.join(shown), limit)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """A count and its noun: 1 day, 3 days."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
