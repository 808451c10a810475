"""Block Kit builders: pure functions from stored records (and `now`) to Slack messages.

No I/O, no Slack client, no clock reads. Each builder returns a `Message` (blocks plus the
plain-text fallback) or, for the Home tab, a view payload; `limits` keeps any input valid.
"""

from __future__ import annotations

from bot.blocks.alert import (
    ACTION_DETAILS,
    ACTION_TEXTS,
    ACTIONS_BLOCK_ID,
    BUTTONS,
    alert_message,
    alert_status_update,
    anomaly_buttons,
)
from bot.blocks.anomalies import PAGE_ACTION_ID, PageRequest, anomaly_list
from bot.blocks.commands import COMMANDS, Suggestion, suggestions
from bot.blocks.digest import DigestSummary, digest_message
from bot.blocks.help import help_message
from bot.blocks.home import CONNECT_ACTION_ID, home_view
from bot.blocks.message import Message, to_dicts
from bot.blocks.status import status_message

__all__ = [
    "ACTIONS_BLOCK_ID",
    "ACTION_DETAILS",
    "ACTION_TEXTS",
    "BUTTONS",
    "COMMANDS",
    "CONNECT_ACTION_ID",
    "PAGE_ACTION_ID",
    "DigestSummary",
    "Message",
    "PageRequest",
    "Suggestion",
    "alert_message",
    "alert_status_update",
    "anomaly_buttons",
    "anomaly_list",
    "digest_message",
    "help_message",
    "home_view",
    "status_message",
    "suggestions",
    "to_dicts",
]
