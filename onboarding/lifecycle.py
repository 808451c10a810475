"""Connecting an account, disconnecting it, and deleting a disconnected account's data.

- `connect_account`: a validated role makes the account `active` for the tenant, learning from
  now. Refused (never re-attributed) when another tenant has it; refused with an upgrade prompt
  when a free tenant already has its one active account (seed story 9.1). The free-tier check
  is re-done after the write, so two stacks calling back at once cannot both get in.
- `disconnect_account`: the account becomes `disconnecting`. The ingest pipeline drops events
  of any account that is not `active` (with an audit entry), so nothing is recorded from then on.
- `purge_disconnected`: the background job (run at least every few hours, so data goes within
  `DELETE_WITHIN`) that deletes a disconnecting account's events, baselines, anomalies and
  inventory, records the counts in the audit log and marks it `disconnected`. The account
  document and the audit entries stay.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from onboarding import messages
from onboarding.messages import Problem
from onboarding.validation import Validation
from storage import Store
from storage.accounts import Account

logger = logging.getLogger(__name__)

DELETE_WITHIN = timedelta(hours=messages.DELETE_WITHIN_HOURS)
STACK_DELETE = "cloudformation stack delete"

ConnectOutcome = Literal[
    "connected", "already_connected", "upgrade_required", "account_taken", "invalid"
]


@dataclass(frozen=True, slots=True)
class ConnectResult:
    """What `connect_account` decided; `problem` says why when it did not connect."""

    outcome: ConnectOutcome
    account_id: str
    account: Account | None = None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        """Whether the account is connected to the tenant now."""
        return self.outcome in ("connected", "already_connected")


async def upgrade_needed(
    store: Store, tenant_id: str, account_id: str | None, *, free_limit: int = 1
) -> Problem | None:
    """The upgrade prompt when a free tenant has no room for `account_id` (None: any new one)."""
    tenant = await store.tenants.get(tenant_id)
    if tenant is not None and tenant.plan != "free":
        return None
    others = [a.id for a in await store.accounts.active(tenant_id) if a.id != account_id]
    if len(others) < free_limit:
        return None
    return messages.upgrade_required(account_id, others, free_limit)


async def connect_account(
    store: Store,
    tenant_id: str,
    account_id: str,
    role_arn: str,
    validation: Validation,
    now: datetime,
    *,
    free_limit: int = 1,
    by: str = "role ARN entered by hand",
    stack_id: str | None = None,
    stack_region: str | None = None,
) -> ConnectResult:
    """Connect the account to the tenant if its role validated and the tenant may have it."""
    account_id, role_arn = account_id.strip(), role_arn.strip()
    if (validation.account_id, validation.role_arn) != (account_id, role_arn):
        raise ValueError("the validation was made for another account or role")
    if not validation.ok:
        assert validation.problem is not None  # a failed validation always says why
        return await _refused(store, tenant_id, "invalid", account_id, validation.problem, now)
    existing = await store.accounts.route(account_id)
    refusal = await _refusal(store, tenant_id, account_id, existing, now, free_limit)
    if refusal is not None:
        return refusal
    if existing is not None and existing.status == "active":
        await store.accounts.update_role(tenant_id, account_id, role_arn, stack_id)
        account = await store.accounts.get(tenant_id, account_id)
        return ConnectResult("already_connected", account_id, account=account)
    if existing is not None and existing.status == "disconnecting":
        await purge_account(store, existing, now)  # its old data goes before it starts again
    account = await store.accounts.connect(
        tenant_id, account_id, role_arn, now, by=by, stack_id=stack_id, stack_region=stack_region
    )
    if account is None:  # taken in between by another tenant or a concurrent callback
        return await _settled(store, tenant_id, account_id, now)
    if not await _keeps_its_place(store, tenant_id, account_id, free_limit):
        await store.accounts.undo_connect(tenant_id, account_id, was_new=existing is None)
        prompt = await upgrade_needed(store, tenant_id, account_id, free_limit=free_limit)
        prompt = prompt or messages.upgrade_required(account_id, [], free_limit)
        return await _refused(store, tenant_id, "upgrade_required", account_id, prompt, now)
    await store.audit.record(
        tenant_id,
        "account.connected",
        f"account {account_id} connected by {by}",
        now,
        {"accountId": account_id, "roleArn": role_arn, "stackId": stack_id, "by": by},
    )
    return ConnectResult("connected", account_id, account=account)


async def _refusal(
    store: Store,
    tenant_id: str,
    account_id: str,
    existing: Account | None,
    now: datetime,
    free_limit: int,
) -> ConnectResult | None:
    """Why the tenant may not have the account, or None when it may."""
    if existing is not None and existing.tenant_id != tenant_id:
        await store.audit.record(
            existing.tenant_id,
            "account.claimed_elsewhere",
            f"another workspace tried to connect account {account_id}; it stays connected here",
            now,
            {"accountId": account_id},
        )
        taken = messages.account_taken(account_id)
        return await _refused(store, tenant_id, "account_taken", account_id, taken, now)
    if existing is not None and existing.status == "active":
        return None
    problem = await upgrade_needed(store, tenant_id, account_id, free_limit=free_limit)
    if problem is not None:
        return await _refused(store, tenant_id, "upgrade_required", account_id, problem, now)
    return None


async def _refused(
    store: Store,
    tenant_id: str,
    outcome: ConnectOutcome,
    account_id: str,
    problem: Problem,
    now: datetime,
) -> ConnectResult:
    await store.audit.record(
        tenant_id,
        "account.connect_refused",
        f"account {account_id} not connected: {problem.code}",
        now,
        {"accountId": account_id, "problem": problem.code},
    )
    return ConnectResult(outcome, account_id, problem=problem)


async def _settled(store: Store, tenant_id: str, account_id: str, now: datetime) -> ConnectResult:
    """The outcome when another writer got to the account first."""
    account = await store.accounts.route(account_id)
    if account is not None and account.tenant_id == tenant_id and account.status == "active":
        return ConnectResult("already_connected", account_id, account=account)
    problem = messages.account_taken(account_id)
    return await _refused(store, tenant_id, "account_taken", account_id, problem, now)


async def _keeps_its_place(store: Store, tenant_id: str, account_id: str, free_limit: int) -> bool:
    """After the write: whether the account is within the free tier's first `free_limit`."""
    tenant = await store.tenants.get(tenant_id)
    if tenant is not None and tenant.plan != "free":
        return True
    first = [a.id for a in await store.accounts.active(tenant_id)][:free_limit]
    return account_id in first


async def disconnect_account(
    store: Store, tenant_id: str, account_id: str, by: str, now: datetime
) -> bool:
    """Stop watching the account now and have its data deleted; False if the tenant has none.

    Idempotent: an account already disconnecting or disconnected answers True, unchanged.
    """
    if await store.accounts.mark_disconnecting(tenant_id, account_id, by, now):
        await store.audit.record(
            tenant_id,
            "account.disconnecting",
            f"account {account_id} disconnected by {by}: its events are dropped from now on "
            f"and its data is deleted within {messages.DELETE_WITHIN_HOURS} hours",
            now,
            {"accountId": account_id, "by": by},
        )
        return True
    account = await store.accounts.get(tenant_id, account_id)
    return account is not None and account.status in ("disconnecting", "disconnected")


@dataclass(frozen=True, slots=True)
class PurgedAccount:
    """One account whose data was deleted, and how many documents of each kind went."""

    tenant_id: str
    account_id: str
    deleted: dict[str, int]


@dataclass(frozen=True, slots=True)
class PurgeFailure:
    """One account the purge could not finish (tried again on the next run)."""

    tenant_id: str
    account_id: str
    reason: str


@dataclass(slots=True)
class PurgeReport:
    """What one run of the purge job did."""

    purged: list[PurgedAccount] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # reconnected while being purged
    failed: list[PurgeFailure] = field(default_factory=list)


def _deleters(store: Store) -> dict[str, Callable[[str, str], Awaitable[int]]]:
    """Every collection holding per-account data (a new one must be added here)."""
    return {
        "events": store.events.delete_account,
        "baselines": store.baselines.delete_account,
        "profiles": store.profiles.delete_account,
        "anomalies": store.anomalies.delete_account,
        "resources": store.resources.delete_account,
        "coverage": store.coverage.delete_account,
    }


async def purge_account(store: Store, account: Account, now: datetime) -> PurgedAccount | None:
    """Delete a disconnecting account's data and mark it disconnected; None when it was
    reconnected meanwhile (checked before each collection, so a reconnect stops the purge)."""
    deleted: dict[str, int] = {}
    for name, delete in _deleters(store).items():
        current = await store.accounts.get(account.tenant_id, account.id)
        if current is None or current.status != "disconnecting":
            return None
        deleted[name] = await delete(account.tenant_id, account.id)
    if not await store.accounts.mark_disconnected(account.tenant_id, account.id, now):
        return None
    summary = ", ".join(f"{count} {name}" for name, count in deleted.items())
    await store.audit.record(
        account.tenant_id,
        "account.purged",
        f"data of disconnected account {account.id} deleted: {summary}",
        now,
        {"accountId": account.id, "deleted": deleted},
    )
    return PurgedAccount(account.tenant_id, account.id, deleted)


async def purge_disconnected(
    store: Store, now: datetime, *, grace: timedelta = timedelta(0), limit: int = 100
) -> PurgeReport:
    """The purge job: every account disconnecting for `grace` or longer (up to `limit` a run)."""
    report = PurgeReport()
    for account in await store.accounts.purge_due(now - grace, limit):
        try:
            done = await purge_account(store, account, now)
        except Exception as exc:  # one account's failure never stops the run (STYLE §7)
            logger.exception(
                "purge failed", extra={"team_id": account.tenant_id, "account_id": account.id}
            )
            reason = f"{type(exc).__name__}: {exc}"
            report.failed.append(PurgeFailure(account.tenant_id, account.id, reason))
            continue
        if done is None:
            report.skipped.append(account.id)
        else:
            report.purged.append(done)
    return report
