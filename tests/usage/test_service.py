"""The usage jobs end to end: scheduler/jobs.py's `usage-watch` and `reconcile` run under their
fenced Redis locks (real Redis), assume each active account's role on moto (STS with the tenant's
ExternalId), store the spike once and wake the notifier; the reconciliation stores the day once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from scheduler import JobRunner
from scheduler.jobs import Jobs
from storage import Store
from tests.redisdb import isolated_redis, unique_prefix
from tests.usage.conftest import CATALOGUE, ONE_SHOT, Account
from tests.usage.series import BILLED, NOW, inject, lambda_storm
from tests.usage.series import RECONCILED_DAY as DAY
from usage.service import UsageService


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def redis() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    prefix = unique_prefix("usage")
    async with isolated_redis(prefix) as client:
        yield client, prefix


async def _connected(store: Store, account: Account) -> None:
    tenant = "T-usage-jobs"
    await store.tenants.ensure(tenant, NOW - timedelta(days=30))
    assert await store.tenants.ensure_external_id(tenant, NOW - timedelta(days=30))
    role = f"arn:aws:iam::{account.account_id}:role/dd0c-cost-readonly"
    made = await store.accounts.connect(
        tenant, account.account_id, role, NOW - timedelta(days=30), by="test"
    )
    assert made is not None


def _jobs(usage: UsageService) -> dict[str, Any]:
    jobs = Jobs(
        store=usage.store,
        governance=None,  # type: ignore[arg-type]  # the usage jobs need none of the others
        poster=None,  # type: ignore[arg-type]
        clock=usage.clock,
        digest=None,  # type: ignore[arg-type]
        usage_watch=usage.watch_all,
        reconcile=usage.reconcile_all,
    )
    return {job.name: job for job in jobs.build()}


@pytest.mark.slow
async def test_the_hourly_job_alerts_once_and_the_daily_job_reconciles_once(
    account: Account, store: Store, redis: tuple[aioredis.Redis, str]
) -> None:
    await _connected(store, account)
    await lambda_storm(account, "us-east-1")
    clock = Clock(NOW)
    woken: list[int] = []

    async def no_sleep(seconds: float) -> None:
        return None

    usage = UsageService(
        store,
        CATALOGUE,
        clock,
        endpoint_url=account.endpoint,
        retry=ONE_SHOT,
        sleep=no_sleep,
        wake=lambda: woken.append(1),
    )
    jobs = _jobs(usage)
    assert (jobs["usage-watch"].every, jobs["usage-watch"].offset) == (
        "hour",
        timedelta(minutes=10),
    )
    assert (jobs["reconcile"].every, jobs["reconcile"].offset) == ("day", timedelta(hours=2))
    client, prefix = redis
    runner = JobRunner(client, prefix, clock)

    assert await runner.run(jobs["usage-watch"]) == "done"
    assert await runner.run(jobs["usage-watch"]) == "skipped"  # once per period, any replica
    anomalies = await store.anomalies.recent("T-usage-jobs", limit=10)
    assert [a.event_name for a in anomalies] == ["UsageSpike"]
    assert anomalies[0].alert_state == "pending"
    assert woken == [1]

    clock.now = NOW + timedelta(hours=1)  # the next period: the same spike, no second anomaly
    summary = await usage.watch_all()
    assert (summary.accounts, summary.new_anomalies, summary.failed_accounts) == (1, 0, [])
    assert woken == [1]

    inject(account.endpoint, account.account_id, BILLED)
    clock.now = datetime(2026, 12, 5, 2, 5, tzinfo=NOW.tzinfo)
    assert await runner.run(jobs["reconcile"]) == "done"
    [record] = await store.reconciliations.since("T-usage-jobs", DAY.isoformat())
    assert (record.day, record.billed_usd) == ("2026-12-04", 23.13)
    again = await usage.reconcile_all()
    assert (again.accounts, again.new_anomalies) == (1, 0)  # asked once per day
