"""`/dd0c help`: every command on one line."""

from __future__ import annotations

from bot.blocks.message import Message, context, header, section

COMMANDS: tuple[tuple[str, str], ...] = (
    ("/dd0c status", "connected accounts, learning days left, burn rate now, alerting mode"),
    (
        "/dd0c anomalies [open|all] [since 24h|7d]",
        "recent anomalies, newest first (open ones unless you say all)",
    ),
    (
        "/dd0c digest",
        "the last 24 h: burn rate, started/stopped, anomalies incl. held back, still running",
    ),
    ("/dd0c connect", "connect an AWS account with a read-only CloudFormation stack"),
    ("/dd0c pause", "panic mode: stop every alert for this workspace (admins or the installer)"),
    ("/dd0c resume", "alerts back on; posts only a summary of what was missed"),
    (
        "/dd0c mode ACCOUNT strict|audit",
        "strict holds statistical alerts for the digest; only ever tighter than earned",
    ),
    (
        "/dd0c sensitivity ACCOUNT SERVICE TYPE low|medium|high",
        "how readily statistical alerts fire for one service and resource type",
    ),
    (
        "/dd0c api-key create NAME [read|write] | list | revoke ID",
        "keys for the REST API (admins or the installer); a new key is shown once",
    ),
    ("/dd0c upgrade", "a Stripe Checkout link for Pro, $19 per account a month (admins)"),
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
