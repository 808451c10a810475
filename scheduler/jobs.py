"""The service's timed jobs, built once from their dependencies (app.py wires them).

    digest         hourly   each workspace at 09:00 in its time zone (UTC if unknown), once a day
    promotion      daily    06:00 UTC: strict accounts promoted to audit, announced in the channel
    purge          hourly   disconnected accounts' data deleted (promised within 72 hours)
    zombie-scan    weekly   Monday 07:00 UTC: every active account scanned for idle resources
    coverage       daily    08:00 UTC: every active account's regions without forwarding rules
    snooze-expiry  minutely snoozes that ended: anomaly re-opened, its card says so

Each job checks its fence before each side effect and treats accounts and tenants one by one:
one failure is logged and the rest carry on (STYLE §7).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.blocks import alert_status_update, digest_message, to_dicts
from onboarding.lifecycle import purge_disconnected
from scheduler.locks import Fence
from scheduler.runner import Job

if TYPE_CHECKING:
    from governance import Governance
    from storage import Store
    from storage.anomalies import StoredAnomaly

logger = logging.getLogger(__name__)

DIGEST_HOUR = 9
SNOOZE_ENDED = "Snooze ended"
SNOOZE_DETAIL = "alerts for this pattern post again"


class Poster(Protocol):
    """Slack for jobs (bot.poster.ChannelPoster)."""

    async def post(
        self, tenant_id: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        """Post in the tenant's alert channel."""

    async def update(
        self, tenant_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> bool:
        """Replace a posted message."""

    async def timezone(self, tenant_id: str) -> str | None:
        """The workspace's IANA time zone, or None."""


DigestBuilder = Callable[["Store", str, datetime], Awaitable[Any]]


@dataclass
class Jobs:
    """What the jobs need; `build()` returns them as scheduler Jobs."""

    store: Store
    governance: Governance
    poster: Poster
    clock: Callable[[], datetime]
    digest: DigestBuilder
    scan_due: Callable[[], Awaitable[int]] | None = None
    coverage: Callable[[Fence], Awaitable[None]] | None = None  # scheduler.coverage

    def build(self) -> list[Job]:
        """Every job with its period."""
        jobs = [
            Job("digest", "hour", self.run_digests),
            Job("promotion", "day", self.promote, offset=timedelta(hours=6)),
            Job("purge", "hour", self.purge, offset=timedelta(minutes=30)),
            Job("snooze-expiry", "minute", self.expire_snoozes, lease=timedelta(seconds=50)),
        ]
        if self.scan_due is not None:
            jobs.append(
                Job(
                    "zombie-scan",
                    "week",
                    self.scan,
                    offset=timedelta(hours=7),
                    lease=timedelta(hours=1),
                )
            )
        if self.coverage is not None:
            jobs.append(
                Job(
                    "coverage",
                    "day",
                    self.coverage,
                    offset=timedelta(hours=8),
                    lease=timedelta(hours=1),
                )
            )
        return jobs

    # -- digest ----------------------------------------------------------------------------------

    async def run_digests(self, fence: Fence) -> None:
        """Each active workspace whose local time is past 09:00 and has no digest today."""
        for tenant in await self.store.tenants.active():
            try:
                await self.digest_for(tenant.id, fence)
            except Exception:  # one tenant's failure never stops the round
                logger.exception("digest failed", extra={"tenant_id": tenant.id})

    async def digest_for(self, tenant_id: str, fence: Fence) -> bool:
        """Post the tenant's digest if it is due now; whether one was posted."""
        now = self.clock()
        local = now.astimezone(_zone(await self.poster.timezone(tenant_id)))
        if local.hour < DIGEST_HOUR:
            return False
        await fence.check()
        if not await self.store.tenants.claim_digest(tenant_id, local.date().isoformat()):
            return False
        summary = await self.digest(self.store, tenant_id, now)
        if summary.empty:
            logger.info("empty digest skipped", extra={"tenant_id": tenant_id})
            return False
        message = digest_message(summary, now)
        return await self.poster.post(tenant_id, message.text, to_dicts(message.blocks))

    # -- governance ------------------------------------------------------------------------------

    async def promote(self, fence: Fence) -> None:
        """Promote the accounts that earned it and announce each in its channel."""
        await fence.check()
        for promotion in await self.governance.promote_due():
            text = (
                f":arrow_up: {promotion.sentence}. Statistical alerts for this account now post "
                "at once; `/dd0c mode ACCOUNT strict` holds them back again."
            )
            await self.poster.post(promotion.tenant_id, text)

    # -- housekeeping ----------------------------------------------------------------------------

    async def purge(self, fence: Fence) -> None:
        """Delete the data of accounts disconnected long enough ago."""
        await fence.check()
        report = await purge_disconnected(self.store, self.clock())
        if report.purged:
            logger.info("purged disconnected accounts", extra={"accounts": len(report.purged)})

    async def scan(self, fence: Fence) -> None:
        """The weekly zombie scan of every active account."""
        await fence.check()
        assert self.scan_due is not None
        scanned = await self.scan_due()
        logger.info("weekly zombie scans", extra={"accounts": scanned})

    # -- snoozes ---------------------------------------------------------------------------------

    async def expire_snoozes(self, fence: Fence) -> None:
        """Re-open anomalies whose snooze ended, and say so on their cards."""
        for anomaly in await self.store.anomalies.expired_snoozes(self.clock()):
            await fence.check()
            try:
                await self._end_snooze(anomaly)
            except Exception:  # one anomaly's failure never stops the others
                logger.exception("ending a snooze failed", extra={"anomaly_id": anomaly.id})

    async def _end_snooze(self, anomaly: StoredAnomaly) -> None:
        now = self.clock()
        if not await self.store.anomalies.reopen(anomaly.tenant_id, anomaly.id, now):
            return
        sentence = f"Snooze of anomaly {anomaly.id} ended; alerts for its pattern post again"
        await self.store.audit.record(
            anomaly.tenant_id, "anomaly.snooze_ended", sentence, now, {"anomalyId": anomaly.id}
        )
        reopened = await self.store.anomalies.get(anomaly.tenant_id, anomaly.id)
        if reopened is None or reopened.slack is None:
            return
        message = alert_status_update(reopened, now, None, SNOOZE_ENDED, detail=SNOOZE_DETAIL)
        await self.poster.update(
            anomaly.tenant_id,
            reopened.slack.channel,
            reopened.slack.ts,
            message.text,
            to_dicts(message.blocks),
        )


def _zone(name: str | None) -> ZoneInfo:
    """The named zone, or UTC when it is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
