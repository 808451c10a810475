"""What the scheduler runs: the hourly usage watch and the daily reconciliation of every active
account, one account at a time; one account's failure is logged and the rest carry on.

Regions watched: every region the account profile has seen a cost event in, the stack's region
and us-east-1 (where the account-wide calls go).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.profiles import ACCOUNT, ProfileKey
from onboarding._aws import HOME_REGION, Endpoints, RetryPolicy, open_session
from onboarding.scan_job import assumed_session_factory
from usage.anomalies import record_spikes
from usage.metrics import Sleep
from usage.reconcile import reconcile_account
from usage.watch import watch_account

if TYPE_CHECKING:
    from pricing import Catalogue
    from storage.accounts import Account
    from storage.store import Store

logger = logging.getLogger(__name__)

SessionFactories = Callable[[str, str], Callable[[], Awaitable[Any]]]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One round over every active account."""

    accounts: int
    new_anomalies: int
    failed_accounts: list[str] = field(default_factory=list)
    failed_regions: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class UsageService:
    """The usage watch and the reconciliation over the store's active accounts."""

    store: Store
    catalogue: Catalogue
    clock: Callable[[], datetime]
    endpoint_url: Endpoints = None
    retry: RetryPolicy | None = None
    sleep: Sleep = asyncio.sleep
    wake: Callable[[], None] | None = None
    sessions: SessionFactories | None = None

    def _factory(self, role_arn: str, external_id: str) -> Callable[[], Awaitable[Any]]:
        if self.sessions is not None:
            return self.sessions(role_arn, external_id)
        endpoint = self.endpoint_url if isinstance(self.endpoint_url, str) else None
        return assumed_session_factory(role_arn, external_id, endpoint_url=endpoint)

    async def _accounts(self) -> list[tuple[Account, str]]:
        """Every active account with a role, and its tenant's ExternalId."""
        out: list[tuple[Account, str]] = []
        for tenant in await self.store.tenants.active():
            if not tenant.external_id:
                continue
            for account in await self.store.accounts.active(tenant.id):
                if account.role_arn:
                    out.append((account, tenant.external_id))
        return out

    async def regions(self, account: Account) -> list[str]:
        """The regions the account uses, as far as we know."""
        profile = await self.store.profiles.get(account.tenant_id, ProfileKey(account.id, ACCOUNT))
        seen = sorted(profile.regions) if profile is not None else []
        candidates = [HOME_REGION, account.stack_region, *seen]
        return list(dict.fromkeys(r for r in candidates if r))

    async def watch_all(self) -> RunSummary:
        """The hourly usage watch of every active account."""
        now = self.clock()
        new = 0
        failed: list[str] = []
        failed_regions: dict[str, dict[str, str]] = {}
        accounts = await self._accounts()
        for account, external_id in accounts:
            try:
                assert account.role_arn is not None
                report = await watch_account(
                    self._factory(account.role_arn, external_id),
                    account.id,
                    await self.regions(account),
                    self.catalogue,
                    now=now,
                    endpoint_url=self.endpoint_url,
                    retry=self.retry,
                    sleep=self.sleep,
                )
                if report.failures:
                    failed_regions[account.id] = dict(report.failures)
                new += len(await record_spikes(self.store, account.tenant_id, report.found, now))
            except Exception:  # one account's failure never stops the round (STYLE §7)
                logger.exception("usage watch failed", extra={"account_id": account.id})
                failed.append(account.id)
        if new and self.wake is not None:
            self.wake()
        return RunSummary(len(accounts), new, failed, failed_regions)

    async def reconcile_all(self, day: date | None = None) -> RunSummary:
        """Yesterday's (UTC) reconciliation of every active account (each asked once)."""
        now = self.clock()
        target = day or (now.astimezone(UTC).date() - timedelta(days=1))
        failed: list[str] = []
        done = 0
        accounts = await self._accounts()
        for account, external_id in accounts:
            try:
                assert account.role_arn is not None
                session = await open_session(self._factory(account.role_arn, external_id))
                record = await reconcile_account(
                    self.store,
                    session,
                    account.tenant_id,
                    account.id,
                    target,
                    now,
                    endpoint_url=self.endpoint_url,
                    retry=self.retry,
                    sleep=self.sleep,
                )
                done += record is not None
            except Exception:  # one account's failure never stops the round
                logger.exception("reconciliation failed", extra={"account_id": account.id})
                failed.append(account.id)
        return RunSummary(len(accounts), done, failed)
