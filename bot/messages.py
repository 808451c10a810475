"""User-facing wording of the Slack surface, kept in one place (as bolt's `logger/messages.py`).

Texts shown to people in Slack, and the reasons stored on an anomaly's alert state (App Home and
the REST API show them), live here so wording changes in one module.
"""

from __future__ import annotations

INVITE_HINT = "invite me with `/invite @dd0c` or choose another channel"

# Reasons stored with an alert state.
NOT_INSTALLED = "workspace not installed or inactive"
NO_ALERT_CHANNEL = "no alert channel chosen"
NO_INSTALLER = "nobody to tell: the installer is unknown"


def cannot_post_in(channel: str) -> str:
    """Opens an alert sent to the installer because the alert channel refused it."""
    return f":warning: I can't post in <#{channel}>: {INVITE_HINT}. Here is the alert:"


def no_alert_channel() -> str:
    """Opens an alert sent to the installer because no alert channel is chosen yet."""
    return (
        ":warning: No alert channel is chosen for this workspace yet, so alerts come to you: "
        "invite me to a channel with `/invite @dd0c` and choose it. Here is the alert:"
    )


def sent_to_installer(cause: str) -> str:
    """The reason kept on an alert that went to the installer's DM instead of the channel."""
    return f"sent to the installer's DM: {cause}"


def dm_failed(cause: str, error: str) -> str:
    """The reason kept when neither the channel nor the installer's DM took the alert."""
    return f"{cause}; DM to the installer failed: {error}"


def gave_up(error: str, attempts: int) -> str:
    """The reason kept when Slack kept failing (5xx, timeouts, rate limits)."""
    return f"{error} after {attempts} attempts"


# Replies to people in Slack.
NOT_YOURS = (
    "That alert doesn't belong to this workspace (or no longer exists): nothing was changed."
)
UNKNOWN_WORKSPACE = "I can't tell which workspace this is; reinstall dd0c/cost."
INSTALLED = (
    ":wave: dd0c/cost is installed. Alerts about expensive AWS launches will be posted in this "
    "channel. Connect an AWS account with `/dd0c connect`; `/dd0c help` lists the commands."
)
