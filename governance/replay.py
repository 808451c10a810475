"""`dd0c-cost alerts replay`: once a flagged rule is fixed, close its circuit breaker for an
account and re-deliver (or drop) the alerts it kept. Re-delivered alerts go back to `pending`:
the notifier posts them through governance as usual (panic, snooze, strict still apply; the
breaker does not count them again). Every step is one audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from flags.breaker import Breaker
    from storage import Store
    from storage.anomalies import StoredAnomaly

Action = Literal["deliver", "drop"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Replayed:
    """What a replay did."""

    closed: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        """One line for the operator."""
        closed = ", ".join(self.closed) or "none"
        return (
            f"breakers closed: {closed}; alerts re-delivered: {len(self.delivered)}, "
            f"dropped: {len(self.dropped)}"
        )


def _held_by(anomaly: StoredAnomaly, account: str, flag: str | None) -> bool:
    if anomaly.account_id != account:
        return False
    return flag is None or f"flag {flag} " in (anomaly.delivery_reason or "")


async def kept_alerts(
    store: Store, tenant: str, account: str, flag: str | None = None
) -> list[StoredAnomaly]:
    """The alerts an open breaker kept for the account (one rule's, or every rule's)."""
    kept = await store.anomalies.delivered_as(tenant, "kept", _EPOCH, limit=100_000)
    return [a for a in kept if _held_by(a, account, flag)]


async def replay(
    store: Store,
    breaker: Breaker,
    tenant: str,
    account: str,
    *,
    action: Action,
    by: str,
    now: datetime,
    flag: str | None = None,
) -> Replayed:
    """Close the account's breaker(s) and re-deliver or drop the alerts they kept."""
    done = Replayed()
    names = [flag] if flag else sorted(await breaker.opened(tenant, account))
    for name in names:
        if await breaker.close(tenant, account, name):
            done.closed.append(name)
    for anomaly in await kept_alerts(store, tenant, account, flag):
        if action == "deliver":
            reason = f"re-delivered by {by} after the circuit breaker ({anomaly.delivery_reason})"
            await store.anomalies.set_alert_state(tenant, anomaly.id, "pending", reason=reason)
            done.delivered.append(anomaly.id)
        else:
            reason = f"dropped by {by} after circuit breaker review ({anomaly.delivery_reason})"
            await store.anomalies.record_delivery(tenant, anomaly.id, "dropped", reason, now)
            done.dropped.append(anomaly.id)
    detail = {
        "accountId": account,
        "flag": flag,
        "delivered": done.delivered,
        "dropped": done.dropped,
    }
    await store.audit.record(tenant, "governance.replay", f"{by}: {done.sentence}", now, detail)
    return done
