"""The sensitivity modal (seed 5.3), opened from an alert card's overflow menu: low, medium or
high for the anomaly's account × service × resource type."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    OverflowMenuElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import Option
from slack_sdk.models.views import View

from bot.blocks.limits import clip, escape
from storage.anomalies import StoredAnomaly

OVERFLOW_ACTION_ID = "anomaly_more"
SENSITIVITY_OPTION = "sensitivity"
CALLBACK_ID = "sensitivity_modal"
LEVEL_BLOCK = "sensitivity_level"
LEVEL_ACTION = "level"
LEVELS: dict[str, str] = {
    "low": "Low: alert only on large departures from normal",
    "medium": "Medium (default)",
    "high": "High: alert on smaller departures too",
}
OPTION_VALUE_MAX = 150


def overflow(anomaly_id: str) -> OverflowMenuElement | None:
    """The card's "⋯" menu: Adjust sensitivity (None when the id cannot fit in an option)."""
    value = f"{SENSITIVITY_OPTION}:{anomaly_id}"
    if len(value) > OPTION_VALUE_MAX:
        return None
    option = Option(value=value, text="Adjust sensitivity…")
    return OverflowMenuElement(action_id=OVERFLOW_ACTION_ID, options=[option])


def sensitivity_modal(anomaly: StoredAnomaly, current: str) -> dict[str, Any]:
    """The modal: which baseline, and the level (preselected with `current`)."""
    what = (
        f"Account `{escape(anomaly.account_id)}` · service `{escape(anomaly.service)}` · "
        f"type `{escape(anomaly.resource_type)}`"
    )
    options = [Option(value=level, text=text) for level, text in LEVELS.items()]
    initial = next((o for o in options if o.value == current), options[1])
    select = StaticSelectElement(action_id=LEVEL_ACTION, options=options, initial_option=initial)
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Alert sensitivity",
        submit="Save",
        close="Cancel",
        private_metadata=clip(anomaly.id, 3000),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=what)),
            InputBlock(block_id=LEVEL_BLOCK, label="Sensitivity", element=select),
        ],
    )
    return dict(view.to_dict())
