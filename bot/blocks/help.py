"""`/dd0c help`: every command on one line."""

from __future__ import annotations

from bot.blocks.message import Message, context, header, section

COMMANDS: tuple[tuple[str, str], ...] = (
    ("/dd0c status", "connected accounts, learning days left, burn rate now, alerting mode"),
    (
        "/dd0c anomalies [open|all] [since 24h|7d]",
        "recent anomalies, newest first (open ones unless you say all)",
    ),
    ("/dd0c digest", "today's digest: anomalies by severity, the top ones, burn rate"),
    ("/dd0c connect", "connect an AWS account with a read-only CloudFormation stack"),
    ("/dd0c help", "this list"),
)


def help_message() -> Message:
    """The reply to `/dd0c help`: the commands, one line each."""
    lines = "\n".join(f"`{usage}`: {what}" for usage, what in COMMANDS)
    blocks = [
        header("dd0c/cost commands"),
        section(lines),
        context(
            "Alerts show the AWS CLI command that stops a resource; dd0c never runs it. "
            "Buttons on an alert snooze it or mark it expected."
        ),
    ]
    text = "dd0c/cost commands: " + ", ".join(usage for usage, _ in COMMANDS)
    return Message(text=text, blocks=blocks)
