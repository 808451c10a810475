"""`/dd0c help`: every command, one line each."""

from __future__ import annotations

from bot.blocks import help_message
from tests.bot.blocks.helpers import all_text, check_message


def test_help_lists_every_command_once() -> None:
    message = help_message()
    lines = check_message(message)[1]["text"]["text"].splitlines()
    commands = [line.split("`")[1].split()[1] for line in lines]
    assert commands == [
        "status",
        "anomalies",
        "digest",
        "connect",
        "pause",
        "resume",
        "mode",
        "sensitivity",
        "api-key",
        "upgrade",
        "help",
    ]
    assert "`/dd0c anomalies [open|all] [since 24h|7d]`" in lines[1]
    assert "never runs" in all_text(check_message(message))
    assert message.text.startswith("dd0c/cost commands: /dd0c status")
