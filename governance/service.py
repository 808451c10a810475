"""Governance as the rest of the service sees it: decide one alert's delivery (and log it),
promote accounts out of strict mode, per-account overrides, pause and resume a workspace.

Every decision is one audit-log entry with a sentence (seed 10.5).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from governance.decision import Decision, Facts, Mode, decide
from governance.panic import OFF, PanicState, PanicSwitch
from governance.policy import Policy, stricter
from telemetry.metrics import Metrics

if TYPE_CHECKING:
    from engine.scoring import Verdict
    from flags import Switches
    from flags.breaker import Breaker, Trip
    from storage import Store
    from storage.accounts import Account
    from storage.anomalies import StoredAnomaly

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Promotion:
    """One account promoted from strict to audit by the daily job."""

    tenant_id: str
    account_id: str
    days: int
    false_positive_rate: float

    @property
    def sentence(self) -> str:
        """What the audit log and the channel say."""
        return (
            f"Auto-promoted {self.account_id} to audit after {self.days} days, "
            f"{self.false_positive_rate:.0%} false positives"
        )


@dataclass(frozen=True, slots=True)
class ModeChange:
    """The answer to `/dd0c mode <account> strict|audit`."""

    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class Resumed:
    """What was held while a workspace was paused (resume posts only this summary)."""

    was: PanicState
    by_severity: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many alerts were not sent during the pause."""
        return sum(self.by_severity.values())


class Governance:
    """The policy, the panic switch and the store, with an injectable clock."""

    def __init__(
        self,
        store: Store,
        switch: PanicSwitch,
        policy: Policy,
        clock: Clock,
        *,
        breaker: Breaker | None = None,
        switches: Switches | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store, self.switch, self.policy, self.clock = store, switch, policy, clock
        self.breaker, self.switches, self.metrics = breaker, switches, metrics

    # -- modes -----------------------------------------------------------------------------------

    def automatic_mode(self, account: Account | None) -> Mode:
        """The mode the policy and promotion give the account (before its override)."""
        if account is None or account.governance_mode is None:
            return self.policy.governance_mode
        return account.governance_mode

    def mode_of(self, account: Account | None) -> Mode:
        """The account's effective mode: its automatic mode, or its override when stricter."""
        base = self.automatic_mode(account)
        return stricter(base, account.mode_override if account else None)

    async def set_override(
        self, tenant_id: str, account_id: str, mode: Mode, by: str
    ) -> ModeChange:
        """Set an account's mode from Slack: only ever more restrictive than the policy allows."""
        account = await self.store.accounts.get(tenant_id, account_id)
        if account is None:
            return ModeChange(False, f"Account {account_id} is not connected to this workspace.")
        base = self.automatic_mode(account)
        if stricter(base, mode) != mode:
            return ModeChange(
                False,
                f"Account {account_id} is in {base} mode until it is promoted; a workspace can "
                "only make its mode more restrictive, not less.",
            )
        override = mode if mode != base else None
        await self.store.accounts.set_mode_override(tenant_id, account_id, override, by)
        sentence = f"Account {account_id} set to {mode} mode by {by}"
        await self._audit(tenant_id, "governance.mode", sentence, {"accountId": account_id})
        return ModeChange(True, sentence)

    # -- one alert -------------------------------------------------------------------------------

    async def decide(self, anomaly: StoredAnomaly) -> Decision:
        """Decide and record the delivery of one anomaly (one audit entry)."""
        tenant, now = anomaly.tenant_id, self.clock()
        account = await self.store.accounts.get(tenant, anomaly.account_id)
        stored = await self.store.events.get(tenant, anomaly.id)
        verdict = stored.stored_verdict() if stored else None
        panic = await self.switch.state(tenant)
        snooze = await self.store.anomalies.snoozed_pattern(
            tenant, anomaly.account_id, anomaly.principal_arn, anomaly.resource_type, now
        )
        kept = await self._kept(anomaly, verdict)
        if kept is not None:
            return await self._record(anomaly, Decision("kept", kept))
        facts = Facts(
            account_id=anomaly.account_id,
            severity=anomaly.severity,
            fast_path=bool(verdict and verdict.fast_path),
            mode=self.mode_of(account),
            paused=panic.paused,
            paused_scope=panic.scope,
            snoozed_until=snooze.snooze_until if snooze else None,
        )
        return await self._record(anomaly, decide(facts))

    async def _record(self, anomaly: StoredAnomaly, decision: Decision) -> Decision:
        """Record the decision beside the severity, and one audit entry."""
        tenant = anomaly.tenant_id
        await self.store.anomalies.record_delivery(
            tenant, anomaly.id, decision.delivery, decision.reason, self.clock()
        )
        detail = {"anomalyId": anomaly.id, "accountId": anomaly.account_id}
        await self._audit(tenant, f"governance.{decision.delivery}", decision.reason, detail)
        return decision

    # -- circuit breaker -------------------------------------------------------------------------

    def _flagged_rules(self, anomaly: StoredAnomaly, verdict: Verdict | None) -> list[str]:
        """The flags on for the account whose rule produced this alert (never the safety net)."""
        if self.breaker is None or self.switches is None or verdict is None:
            return []
        if anomaly.severity == "info" or anomaly.delivery == "kept" or verdict.fast_path:
            return []  # info never pages; a replayed alert is not counted twice
        signals = verdict.anomaly.signals if verdict.anomaly else {}
        if signals.get("safetyNet", 0.0) >= 1.0:
            return []
        on = self.switches.evaluate(anomaly.tenant_id, anomaly.account_id).signals_of
        return [f for f, names in on.items() if any(signals.get(n, 0.0) >= 1.0 for n in names)]

    async def _kept(self, anomaly: StoredAnomaly, verdict: Verdict | None) -> str | None:
        """Count the alert; the reason to keep it when a breaker of its rule is open."""
        rules = self._flagged_rules(anomaly, verdict)
        if not rules or self.breaker is None:
            return None
        tenant, account = anomaly.tenant_id, anomaly.account_id
        for trip in await self.breaker.record(tenant, account, anomaly.id, rules):
            await self._tripped(trip)
        try:
            opened = await self.breaker.opened(tenant, account)
        except RedisError as exc:  # a broken Redis never silences an alert
            logger.warning("circuit breakers unreadable; alert not kept (%s)", type(exc).__name__)
            return None
        holding = [opened[rule] for rule in rules if rule in opened]
        if not holding:
            return None
        if self.metrics is not None:
            self.metrics.add("AlertsKept")
        return str(holding[0].get("reason", "circuit breaker open"))

    async def _tripped(self, trip: Trip) -> None:
        """Tell the operator: a warning log, the BreakerTrips metric, an audit entry."""
        logger.warning(
            "circuit breaker opened: %s",
            trip.reason,
            extra={"tenant_id": trip.tenant_id, "account_id": trip.account_id, "flag": trip.flag},
        )
        if self.metrics is not None:
            self.metrics.add("BreakerTrips")
        detail = {"accountId": trip.account_id, "flag": trip.flag, "count": trip.count}
        await self._audit(trip.tenant_id, "governance.breaker-open", trip.reason, detail)

    # -- promotion -------------------------------------------------------------------------------

    async def promote_due(self) -> list[Promotion]:
        """Promote every strict account with enough baseline and few false positives."""
        promoted = []
        for account in await self.store.accounts.promotion_candidates():
            try:
                promotion = await self._promote(account)
            except Exception:  # one account's failure never stops the run (STYLE §7)
                logger.exception("promotion check failed", extra={"account_id": account.id})
                continue
            if promotion is not None:
                promoted.append(promotion)
        return promoted

    async def _promote(self, account: Account) -> Promotion | None:
        if self.automatic_mode(account) != "strict":
            return None
        now = self.clock()
        started = account.learning_started_at or account.connected_at
        days = (now - started).total_seconds() / timedelta(days=1).total_seconds()
        needed = max(self.policy.learning_days, self.policy.promotion.min_baseline_days)
        if days < needed:
            return None
        total, expected = await self.store.anomalies.account_counts(account.tenant_id, account.id)
        rate = expected / total if total else 0.0
        if rate >= self.policy.promotion.max_false_positive_rate:
            return None
        if not await self.store.accounts.set_governance_mode(
            account.tenant_id, account.id, "audit", now
        ):
            return None
        promotion = Promotion(account.tenant_id, account.id, int(days), rate)
        detail = {"accountId": account.id, "falsePositiveRate": rate, "days": int(days)}
        await self._audit(account.tenant_id, "governance.promoted", promotion.sentence, detail)
        return promotion

    # -- panic -----------------------------------------------------------------------------------

    async def paused(self, tenant_id: str) -> bool:
        """Whether alerting is paused for the workspace (or for everyone)."""
        return (await self.switch.state(tenant_id)).paused

    async def pause(self, tenant_id: str, by: str) -> bool:
        """Pause the workspace's alerts; False when it was paused already."""
        done = await self.switch.pause(tenant_id, by, self.clock())
        if done:
            await self._audit(tenant_id, "governance.pause", f"Alerting paused by {by}", {})
        return done

    async def resume(self, tenant_id: str, by: str) -> Resumed:
        """Resume the workspace; what was held back meanwhile (nothing is posted late)."""
        was = await self.switch.resume(tenant_id)
        if not was.paused:
            return Resumed(OFF)
        since = was.since or self.clock() - timedelta(days=1)
        held = await self.store.anomalies.delivered_as(tenant_id, "paused", since)
        counts: dict[str, int] = dict(Counter(str(a.severity) for a in held))
        resumed = Resumed(was, counts)
        sentence = f"Alerting resumed by {by}; {resumed.total} alerts were not sent while paused"
        await self._audit(tenant_id, "governance.resume", sentence, {"held": counts})
        return resumed

    async def _audit(
        self, tenant_id: str, kind: str, sentence: str, detail: Mapping[str, object]
    ) -> None:
        await self.store.audit.record(tenant_id, kind, sentence, self.clock(), dict(detail))
