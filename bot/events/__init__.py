"""Events API listeners."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import home
from bot.events import lifecycle
from bot.services import SlackServices


def register(app: AsyncApp, services: SlackServices) -> None:
    """Register every event listener."""
    lifecycle.register(app, services)
    home.register(app, services)
