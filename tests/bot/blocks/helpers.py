"""Builders of stored records, hostile inputs, and the check that a payload fits Slack's limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks import Message, to_dicts
from bot.blocks import limits as L
from storage.accounts import Account
from storage.anomalies import StoredAnomaly
from storage.resources import BurnRate

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NASTY = "<!channel> <@U999> *bold* _it_ ~s~ `x` & <https://evil.example|click> > done"
# A `<` in mrkdwn may only open what the builders write themselves: dates and user mentions.
_OWN_TOKEN = re.compile(r"<(!date\^\d+\^[^|<>]*\|[^<>]*|@[UW][A-Z0-9]+)>")


def anomaly(**overrides: Any) -> StoredAnomaly:
    """A critical EC2 launch; any field can be overridden."""
    fields: dict[str, Any] = {
        "_id": "0f1e2d3c-aaaa-bbbb-cccc-123456789012",
        "tenant_id": "T0001",
        "account_id": "123456789012",
        "region": "us-east-1",
        "service": "ec2",
        "resource_type": "ec2:instance",
        "resource_ids": ["i-0abc1234567890def", "i-0123456789abcdef0"],
        "size": "p4d.24xlarge",
        "quantity": 2,
        "event_name": "RunInstances",
        "event_time": NOW - timedelta(minutes=2),
        "actor_arn": "arn:aws:sts::123456789012:assumed-role/MLTraining/alice",
        "principal_arn": "arn:aws:iam::123456789012:role/MLTraining",
        "session_name": "alice",
        "estimated_hourly_cost": 65.536,
        "severity": "critical",
        "score": 0.93,
        "reasons": ["p4d.24xlarge was never launched in this account", "40× the usual $/h"],
        "created_at": NOW - timedelta(minutes=1),
    }
    fields.update(overrides)
    return StoredAnomaly(**fields)


def hostile_anomaly(**overrides: Any) -> StoredAnomaly:
    """Every field at its worst: 500 ids, 200 reasons of 5,000 chars, markup everywhere."""
    long = NASTY * 80
    fields: dict[str, Any] = {
        "_id": "e" * 1900,
        "account_id": long,
        "region": long,
        "resource_ids": [f"i-{n:017x}{NASTY}" for n in range(500)],
        "size": long,
        "quantity": 10**9,
        "event_name": long,
        "actor_arn": f"arn:aws:sts::1:assumed-role/{long}/{long}",
        "principal_arn": long,
        "session_name": long,
        "estimated_hourly_cost": None,
        "cost_note": long,
        "reasons": [f"{n} {NASTY * 60}"[:5000] for n in range(200)],
    }
    fields.update(overrides)
    return anomaly(**fields)


def account(
    account_id: str = "123456789012", *, learning_days_ago: float | None = 5, **extra: Any
) -> Account:
    """An active account that started learning `learning_days_ago` days before NOW."""
    started = None if learning_days_ago is None else NOW - timedelta(days=learning_days_ago)
    fields: dict[str, Any] = {
        "_id": account_id,
        "tenant_id": "T0001",
        "connected_at": NOW - timedelta(days=30),
        "learning_started_at": started,
    }
    fields.update(extra)
    return Account(**fields)


def burn(hourly: float = 12.3, running: int = 14, unpriced: int = 0) -> BurnRate:
    """A burn rate."""
    return BurnRate(hourly_usd=hourly, running=running, unpriced=unpriced)


def _texts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text"):
            yield value
        for child in value.values():
            yield from _texts(child)
    elif isinstance(value, list):
        for child in value:
            yield from _texts(child)


def _check_block(block: dict[str, Any]) -> None:
    assert len(block.get("block_id", "")) <= L.BLOCK_ID_MAX
    kind = block["type"]
    if kind == "header":
        assert len(block["text"]["text"]) <= L.HEADER_TEXT_MAX
    if kind == "section":
        assert "text" in block or "fields" in block
        assert len(block.get("text", {}).get("text", "")) <= L.SECTION_TEXT_MAX
        assert len(block.get("fields", [])) <= L.SECTION_FIELDS_MAX
        assert all(len(f["text"]) <= L.FIELD_TEXT_MAX for f in block.get("fields", []))
    if kind == "context":
        assert 0 < len(block["elements"]) <= L.CONTEXT_ELEMENTS_MAX
    if kind == "actions":
        assert 0 < len(block["elements"]) <= L.ACTIONS_ELEMENTS_MAX
        for button in block["elements"]:
            assert len(button["action_id"]) <= L.ACTION_ID_MAX
            if button["type"] == "overflow":  # 1-5 options, values of at most 150 characters
                assert 0 < len(button["options"]) <= 5
                assert all(len(o["value"]) <= 150 for o in button["options"])
                continue
            assert len(button["text"]["text"]) <= L.BUTTON_TEXT_MAX
            assert len(button.get("value", "")) <= L.BUTTON_VALUE_MAX
    for text in _texts(block):
        assert text["text"].strip(), f"empty text in {kind}"
        assert len(text["text"]) <= L.SECTION_TEXT_MAX
        if text["type"] == "mrkdwn":
            assert_no_injection(text["text"])


def assert_no_injection(mrkdwn: str) -> None:
    """Every `<` opens a date or a mention the builders wrote; user text was escaped."""
    assert "<" not in _OWN_TOKEN.sub("", mrkdwn), mrkdwn[:300]


def check_blocks(blocks: list[Block], max_blocks: int) -> list[dict[str, Any]]:
    """The blocks as dicts (slack_sdk validates each) after checking every Slack limit."""
    dicts = to_dicts(blocks)
    assert 0 < len(dicts) <= max_blocks
    block_ids = [b["block_id"] for b in dicts if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block ids repeat"
    for block in dicts:
        _check_block(block)
    return dicts


def check_message(message: Message) -> list[dict[str, Any]]:
    """A message's blocks as dicts, after checking its limits and its fallback text."""
    assert message.text.strip()
    assert len(message.text) <= L.FALLBACK_TEXT_MAX
    assert_no_injection(message.text)
    return check_blocks(message.blocks, L.MESSAGE_BLOCKS_MAX)


def all_text(dicts: list[dict[str, Any]]) -> str:
    """Every text of the blocks, joined (to assert what a reader sees)."""
    return "\n".join(t["text"] for t in _texts(dicts))


def check_home(view: dict[str, Any]) -> list[dict[str, Any]]:
    """A Home tab payload's blocks, after checking every Slack limit."""
    assert view["type"] == "home"
    blocks: list[dict[str, Any]] = view["blocks"]
    assert 0 < len(blocks) <= L.HOME_BLOCKS_MAX
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block ids repeat"
    for block in blocks:
        _check_block(block)
    return blocks
