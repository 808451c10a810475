"""Gather what the status, digest and App Home builders show (storage -> builder inputs)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.blocks import DigestSummary
from engine.thresholds import DEFAULT_THRESHOLDS
from storage import Store
from storage.accounts import Account
from storage.anomalies import StoredAnomaly
from storage.resources import BurnRate

LEARNING_DAYS = DEFAULT_THRESHOLDS.maturity_days


@dataclass(frozen=True, slots=True)
class Overview:
    """A tenant's accounts, what each burns per hour now, and its open anomalies."""

    accounts: list[Account]
    burn: dict[str, BurnRate]
    open_anomalies: list[StoredAnomaly]
    open_count: int


def learning(accounts: list[Account], now: datetime, days: float = LEARNING_DAYS) -> bool:
    """Whether any account is still in its baseline learning period."""
    return any(
        a.learning_started_at is not None and now - a.learning_started_at < timedelta(days=days)
        for a in accounts
        if a.status == "active"
    )


def mode(accounts: list[Account], now: datetime, paused: bool) -> str:
    """The alerting mode the status message shows: paused, learning or on."""
    if paused:
        return "paused"
    return "learning" if learning(accounts, now) else "on"


async def overview(store: Store, tenant_id: str, open_limit: int = 50) -> Overview:
    """Everything /dd0c status and App Home show."""
    accounts = await store.accounts.for_tenant(tenant_id)
    burn = {a.id: await store.resources.burn_rate(tenant_id, a.id) for a in accounts}
    anomalies = await store.anomalies.recent(tenant_id, open_only=True, limit=open_limit)
    count = await store.anomalies.count(tenant_id, open_only=True)
    return Overview(accounts, burn, anomalies, count)


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


async def digest(store: Store, tenant_id: str, now: datetime, top: int = 5) -> DigestSummary:
    """Today's summary (UTC day so far): the scheduled digest and /dd0c digest use it."""
    start = _day_start(now)
    today = await store.anomalies.recent(tenant_id, since=start, limit=1000)
    launched = await store.resources.launched_since(tenant_id, start)
    accounts = await store.accounts.for_tenant(tenant_id)
    burn = await store.resources.burn_rate(tenant_id)
    priced = [r.hourly_cost for r in launched if r.hourly_cost is not None]
    ranked = sorted(today, key=lambda a: a.estimated_hourly_cost or 0.0, reverse=True)
    return DigestSummary(
        day=start.date(),
        by_severity=dict(Counter(a.severity for a in today)),
        top=ranked[:top],
        burn_hourly_usd=burn.hourly_usd,
        new_resources=len(launched),
        new_resources_hourly_usd=round(sum(priced), 6) if priced else None,
        accounts_learning=sum(1 for a in accounts if learning([a], now)),
        by_status=dict(Counter(a.status for a in today)),
    )
