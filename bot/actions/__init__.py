"""Interactive buttons."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.actions import anomaly, billing, channel, navigation, sensitivity
from bot.services import SlackServices


def register(app: AsyncApp, services: SlackServices) -> None:
    """Register every action listener."""
    anomaly.register(app, services)
    navigation.register(app, services)
    channel.register(app, services)
    sensitivity.register(app, services)
    billing.register(app, services)
