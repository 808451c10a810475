"""Gather what the status, digest and App Home builders show (storage -> builder inputs)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.blocks import DigestSummary
from bot.blocks._format import as_utc
from bot.blocks.digest import StillRunning
from engine.thresholds import DEFAULT_THRESHOLDS
from storage import Store
from storage.accounts import Account
from storage.anomalies import StoredAnomaly
from storage.coverage import AccountCoverage
from storage.resources import BurnRate

LEARNING_DAYS = DEFAULT_THRESHOLDS.maturity_days


@dataclass(frozen=True, slots=True)
class Overview:
    """A tenant's accounts, what each burns per hour now, and its open anomalies."""

    accounts: list[Account]
    burn: dict[str, BurnRate]
    open_anomalies: list[StoredAnomaly]
    open_count: int
    coverage: list[AccountCoverage] = field(default_factory=list)  # accounts with open gaps


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
    active = {a.id for a in accounts if a.status == "active"}
    coverage = [
        c
        for c in await store.coverage.for_tenant(tenant_id)
        if c.needs_attention and c.account_id in active
    ]
    return Overview(accounts, burn, anomalies, count, coverage)


DAY = timedelta(hours=24)
REMINDERS_MAX = 50


async def digest(store: Store, tenant_id: str, now: datetime, top: int = 5) -> DigestSummary:
    """The last 24 hours: the scheduled digest and /dd0c digest use it."""
    since = now - DAY
    window = await store.anomalies.recent(tenant_id, since=since, limit=1000)
    launched = await store.resources.launched_since(tenant_id, since)
    accounts = await store.accounts.for_tenant(tenant_id)
    burn = await store.resources.burn_rate(tenant_id)
    priced = [r.hourly_cost for r in launched if r.hourly_cost is not None]
    ranked = sorted(window, key=lambda a: a.estimated_hourly_cost or 0.0, reverse=True)
    return DigestSummary(
        day=now.date(),
        by_severity=dict(Counter(a.severity for a in window)),
        top=[a for a in ranked if a.severity != "info"][:top],
        burn_hourly_usd=burn.hourly_usd,
        new_resources=len(launched),
        new_resources_hourly_usd=round(sum(priced), 6) if priced else None,
        accounts_learning=sum(1 for a in accounts if learning([a], now)),
        by_status=dict(Counter(a.status for a in window)),
        stopped_resources=await store.resources.stopped_since(tenant_id, since),
        held_back=[a for a in window if a.delivery == "held-back"],
        info=[a for a in window if a.severity == "info"],
        still_running=await _still_running(store, tenant_id, now),
        zombie_line=zombie_line(accounts),
    )


async def _still_running(store: Store, tenant_id: str, now: datetime) -> list[StillRunning]:
    """Alerted anomalies older than 24 h whose resources still run, with their cost so far."""
    found = []
    for anomaly in await store.anomalies.recent(tenant_id, open_only=True, limit=500):
        if as_utc(anomaly.created_at) > now - DAY or anomaly.alert_state != "sent":
            continue
        keys = [
            (anomaly.account_id, anomaly.region, anomaly.resource_type, rid)
            for rid in anomaly.resource_ids
        ]
        if not keys or await store.resources.running_count(tenant_id, keys) == 0:
            continue
        hours = (now - as_utc(anomaly.event_time)).total_seconds() / 3600
        hourly = anomaly.estimated_hourly_cost
        found.append(StillRunning(anomaly, round(hourly * hours, 2) if hourly else None))
        if len(found) >= REMINDERS_MAX:
            break
    return found


def zombie_line(accounts: list[Account]) -> str | None:
    """'Zombie watch' from each active account's latest scan, or None when none was scanned."""
    scanned = [a for a in accounts if a.status == "active" and a.zombie_count is not None]
    if not scanned:
        return None
    count = sum(a.zombie_count or 0 for a in scanned)
    monthly = sum(a.zombie_monthly_usd or 0.0 for a in scanned)
    dates = [as_utc(a.zombie_scan_at) for a in scanned if a.zombie_scan_at is not None]
    when = f" (latest scan {max(dates):%Y-%m-%d})" if dates else ""
    return f"{count} idle resources ≈ ${monthly:,.2f}/month in {len(scanned)} account(s){when}"
