"""What every Slack listener needs: the store, the clock, and how to tell which tenant is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage import Store
from storage.clock import utc_now
from storage.installations import tenant_id_for

if TYPE_CHECKING:
    from billing import Billing
    from bot.onboarding import Onboarding
    from governance import Governance


@dataclass
class SlackServices:
    """Shared by the listeners; built once in app.py."""

    store: Store
    clock: Callable[[], datetime] = utc_now
    governance: Governance | None = None
    """Modes, panic and promotion (governance/); None: alerting is never paused."""
    onboarding: Onboarding | None = None
    """The account connect flow (set once the service has built it)."""
    billing: Billing | None = None
    """Pro via Stripe (the Upgrade button, the quantity on connect); None: billing is off."""

    async def paused(self, tenant_id: str) -> bool:
        """Whether alerting is paused (panic mode) for this workspace or for everyone."""
        return await self.governance.paused(tenant_id) if self.governance else False


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
