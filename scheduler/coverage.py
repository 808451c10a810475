"""The coverage job (daily, one replica): every connected account's blind spots, told once.

Per active account, `onboarding.coverage` reads through the read-only role which enabled
regions lack dd0c's forwarding rules. Compared with the stored record (`storage.coverage`):

- a new gap (or one Slack was not told about yet) → one message per account with the regions
  and the fix; the gap is marked notified once the post succeeded;
- a notified gap whose region now has its rules → one "closed" message, then it is forgotten;
- a region that could not be read keeps whatever it had (unknown is not closed);
- a role that may not list the rules anywhere (a stack older than this check) → one message
  asking for the stack update, shown in status until the role can read them.

One account's failure is logged and the others carry on (STYLE §7).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.blocks.coverage import Fix, closed_message, gap_message, outdated_message
from bot.blocks.message import to_dicts
from onboarding.coverage import CoverageReport, check_connected_account
from storage.coverage import AccountCoverage, RegionGap, coverage_id

if TYPE_CHECKING:
    from scheduler.jobs import Poster
    from scheduler.locks import Fence
    from storage import Store
    from storage.accounts import Account

logger = logging.getLogger(__name__)

Check = Callable[["Account"], Awaitable[CoverageReport | None]]


@dataclass(frozen=True, slots=True)
class Reconciled:
    """The account's new record, the gaps to announce and the regions that closed."""

    coverage: AccountCoverage
    to_announce: list[RegionGap]
    closed: list[str]
    announce_outdated: bool = False


def _outdated(
    previous: AccountCoverage | None, report: CoverageReport, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(since, notified at) of an outdated role; (None, None) once the role reads the rules."""
    if not report.role_outdated:
        return None, None
    if previous is None or previous.role_outdated_since is None:
        return now, None
    return previous.role_outdated_since, previous.role_outdated_notified_at


def reconcile(
    previous: AccountCoverage | None, report: CoverageReport, tenant_id: str, now: datetime
) -> Reconciled:
    """Pure: the stored record after this check, what to post and what closed."""
    before = {gap.region: gap for gap in previous.gaps} if previous else {}
    gaps: dict[str, RegionGap] = {}
    for region in report.gaps:
        old = before.get(region.region)
        gaps[region.region] = RegionGap(
            region=region.region,
            missing_rules=list(region.missing_rules),
            running_instances=region.running_instances,
            opened_at=old.opened_at if old else now,
            notified_at=old.notified_at if old else None,
        )
    checked = {r.region for r in report.regions}
    for name, old in before.items():
        unknown = name in report.failures or (not checked and name not in gaps)
        if unknown and name not in gaps:
            gaps[name] = old  # not read this time (or no region list): unknown is not closed
    closed = sorted(name for name, old in before.items() if name not in gaps and old.notified_at)
    outdated_since, outdated_notified = _outdated(previous, report, now)
    coverage = AccountCoverage(
        id=coverage_id(tenant_id, report.account_id),
        tenant_id=tenant_id,
        account_id=report.account_id,
        checked_at=now,
        regions_checked=len(report.regions),
        gaps=sorted(gaps.values(), key=lambda g: g.region),
        failures=report.failures,
        role_outdated_since=outdated_since,
        role_outdated_notified_at=outdated_notified,
    )
    to_announce = [g for g in coverage.gaps if g.notified_at is None]
    announce = outdated_since is not None and outdated_notified is None
    return Reconciled(coverage, to_announce, closed, announce)


@dataclass
class CoverageJob:
    """What the job needs; `run` is the scheduler's entry point."""

    store: Store
    poster: Poster
    clock: Callable[[], datetime]
    check: Check
    template_url: str | None = None

    async def run(self, fence: Fence) -> None:
        """Check every active account of every active workspace."""
        checked = 0
        for tenant in await self.store.tenants.active():
            for account in await self.store.accounts.active(tenant.id):
                await fence.check()
                try:
                    checked += await self.check_account(account)
                except Exception:  # one account's failure never stops the run
                    logger.exception(
                        "coverage check failed",
                        extra={"team_id": tenant.id, "account_id": account.id},
                    )
        logger.info("coverage checks", extra={"accounts": checked})

    async def check_account(self, account: Account) -> int:
        """Check one account, post what changed, save the record; 1 if it was checked."""
        report = await self.check(account)
        if report is None:
            return 0
        now = self.clock()
        previous = await self.store.coverage.get(account.tenant_id, account.id)
        result = reconcile(previous, report, account.tenant_id, now)
        coverage = result.coverage
        if result.to_announce and await self._announce(account, result.to_announce, now):
            announced = {g.region for g in result.to_announce}
            coverage = coverage.model_copy(
                update={
                    "gaps": [
                        g.model_copy(update={"notified_at": now}) if g.region in announced else g
                        for g in coverage.gaps
                    ]
                }
            )
        if result.closed:
            message = closed_message(account.id, result.closed, now)
            await self.poster.post(account.tenant_id, message.text, to_dicts(message.blocks))
        if result.announce_outdated and await self._announce_outdated(account, now):
            coverage = coverage.model_copy(update={"role_outdated_notified_at": now})
        await self.store.coverage.save(coverage)
        return 1

    async def _announce_outdated(self, account: Account, now: datetime) -> bool:
        fix = Fix(account.stack_id, account.stack_region, self.template_url)
        message = outdated_message(account.id, fix, now)
        return await self.poster.post(account.tenant_id, message.text, to_dicts(message.blocks))

    async def _announce(self, account: Account, gaps: list[RegionGap], now: datetime) -> bool:
        fix = Fix(account.stack_id, account.stack_region, self.template_url)
        message = gap_message(account.id, gaps, fix, now)
        return await self.poster.post(account.tenant_id, message.text, to_dicts(message.blocks))


def assumed_role_check(
    store: Store, clock: Callable[[], datetime], endpoint_url: str | None = None
) -> Check:
    """The production check: the account's role with the tenant's ExternalId, every region."""

    async def check(account: Account) -> CoverageReport | None:
        external_id = await store.tenants.ensure_external_id(account.tenant_id, clock())
        if not account.role_arn or not external_id:
            return None
        return await check_connected_account(
            account.id, account.role_arn, external_id, endpoint_url=endpoint_url
        )

    return check
