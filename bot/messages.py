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

# Governance commands (/dd0c pause | resume | mode | sensitivity).
NO_GOVERNANCE = "Governance is not running in this service: nothing was changed."
ADMINS_ONLY = (
    "Only a workspace admin or the person who installed dd0c/cost can change alerting: "
    "nothing was changed."
)
ALREADY_PAUSED = "Alerting is already paused for this workspace. `/dd0c resume` turns it back on."
NOT_PAUSED = "Alerting is not paused for this workspace: nothing to resume."
STILL_GLOBAL = (
    " dd0c/cost's operator has also paused alerting for everyone: alerts stay off until that ends."
)
MODE_USAGE = (
    "Usage: `/dd0c mode ACCOUNT strict|audit` (ACCOUNT: the 12-digit id). strict holds "
    "statistical alerts for the daily digest (cost-band alerts > $5/h still post); audit posts "
    "them."
)
SENSITIVITY_USAGE = (
    "Usage: `/dd0c sensitivity ACCOUNT SERVICE TYPE low|medium|high`, "
    "for example `/dd0c sensitivity 123456789012 ec2 ec2:instance low`."
)


def paused_by(user: str) -> str:
    """Posted in the alert channel when a workspace pauses alerting."""
    return (
        f":double_vertical_bar: Alerting paused by <@{user}>. Anomalies are still scored and "
        "recorded; `/dd0c resume` turns alerts back on and posts a summary of what was missed."
    )


def resumed_by(user: str, held: int, by_severity: dict[str, int]) -> str:
    """Posted in the alert channel when a workspace resumes: a summary, never the alerts."""
    if not held:
        return f":arrow_forward: Alerting resumed by <@{user}>. Nothing was held while paused."
    parts = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items()))
    return (
        f":arrow_forward: Alerting resumed by <@{user}>. While paused, {held} alerts were not "
        f"sent ({parts}); they are not posted now: `/dd0c anomalies all since 7d` lists them."
    )


def sensitivity_set(account: str, service: str, resource_type: str, level: str, by: str) -> str:
    """The audit sentence and the reply for a sensitivity change."""
    return f"Sensitivity of {account} {service} {resource_type} set to {level} by {by}"


def not_in_channel(channel: str) -> str:
    """Told to the person who picked a channel the bot is not in."""
    return (
        f":warning: I'm not in <#{channel}> yet, so alerts would not reach it: {INVITE_HINT}, then "
        "pick it again on my Home tab. The alert channel was not changed."
    )


def channel_chosen(user: str) -> str:
    """Posted in the new alert channel."""
    return (
        f":bell: <@{user}> chose this channel for dd0c/cost alerts: they are posted here from "
        "now on."
    )
