"""Slash commands."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.commands import dd0c
from bot.services import SlackServices


def register(app: AsyncApp, services: SlackServices) -> None:
    """Register every command listener."""
    dd0c.register(app, services)
