"""What every Slack listener needs: the store, the clock, and how to tell which tenant is asking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage import Store
from storage.clock import utc_now
from storage.installations import tenant_id_for

if TYPE_CHECKING:
    from bot.onboarding import Onboarding


async def _not_paused() -> bool:
    return False


@dataclass
class SlackServices:
    """Shared by the listeners; built once in app.py."""

    store: Store
    clock: Callable[[], datetime] = utc_now
    paused: Callable[[], Awaitable[bool]] = _not_paused
    """Whether governance has silenced alerting (panic mode); the governance issue wires Redis."""
    onboarding: Onboarding | None = None
    """The account connect flow (set once the service has built it)."""
    bolt: Any = None
    """The Bolt app these listeners are registered on (app.py registers onboarding on it)."""


def tenant_of(context: Any) -> str | None:
    """The tenant a request comes from (team id; enterprise id for an org-wide install)."""
    try:
        return tenant_id_for(
            context.get("enterprise_id"),
            context.get("team_id"),
            context.get("is_enterprise_install"),
        )
    except ValueError:
        return None
