"""Delivers pending anomalies to Slack (story 3.1): the consumer of the anomaly outbox.

The pipeline records an anomaly with alert state `pending` and calls `wake()`. The notifier claims
the oldest pushed (warning/critical) one for a lease, so one replica at a time works on it, posts
its card with the tenant's bot token and settles the alert state. With governance wired in, every
severity is claimed and the gate decides first (panic, snooze, info, strict: governance/):

    claimed ─ gate: digest, held-back or paused (reason kept) ──────────► suppressed
            ─ no bot token ──────────────────────────────────────────► suppressed
            ─ chat.postMessage ok ───────────────────────────────────► sent (channel, ts)
              ├ channel_not_found, not_in_channel, is_archived ─► DM the installer ─► sent | failed
              ├ invalid_auth, token_revoked, … ─► recipients.deactivate ─────────────► failed
              ├ 5xx, timeout, connection error ─► backoff + jitter, ≤ max_attempts ──► failed
              ├ 429 ─► wait Retry-After (the whole tenant waits), then retry
              └ any other error ──────────────────────────────────────────────────────► failed
            ─ crash, or a wait that would outlive the lease ─► claim expires ─► claimed again

Every wait and every call must end before the lease does, so no other replica can claim an
anomaly while it is being posted: under normal operation each alert is posted once.

A chat.postMessage that times out is not posted again while its answer can still come: Slack
may have accepted it and be slow to say so, and a second call would post the card twice (Slack
has no idempotency key for chat.postMessage). The request is kept open and its late answer (the
ts) settles the alert; only when the claim would end first is it given up (deferred: the claim
expires and the alert is tried again). Finding the first post instead — message `metadata`
read back with `conversations.history` — would need `channels:history`, `groups:history` and
`im:history`, i.e. reading every message of the customer's channels, for this alone; the
manifest does not ask for them. Cards still carry `metadata` (event_type `dd0c_anomaly`, the
anomaly id), so a post made twice anyway (the connection broke after Slack accepted it) can be
recognised. Errors Slack answered (5xx, 429) are retried as before.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.blocks.alert import alert_message
from bot.blocks.message import section, to_dicts
from storage.anomalies import EVERY_SEVERITY, PUSHED, SlackMessage, StoredAnomaly
from storage.clock import utc_now as _utcnow

if TYPE_CHECKING:
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from governance import Decision
    from storage import Store
    from telemetry.metrics import Metrics

logger = logging.getLogger(__name__)

Render = Callable[[StoredAnomaly, datetime], tuple[str, list[dict[str, Any]]]]
Clock = Callable[[], datetime]
FailureKind = Literal["rate_limited", "transient", "auth", "channel", "other"]
Settled = Literal["sent", "failed", "suppressed"]

AUTH_ERRORS = ("invalid_auth", "account_inactive", "token_revoked", "token_expired", "not_authed")
CHANNEL_ERRORS = ("channel_not_found", "not_in_channel", "is_archived")
# Slack reports some of its own outages with HTTP 200 and one of these codes.
TRANSIENT_ERRORS = ("internal_error", "fatal_error", "service_unavailable", "request_timeout")
_GROUPS: tuple[tuple[tuple[str, ...], FailureKind], ...] = (
    (AUTH_ERRORS, "auth"),
    (CHANNEL_ERRORS, "channel"),
    (TRANSIENT_ERRORS, "transient"),
)
_KINDS: dict[str, FailureKind] = {code: kind for codes, kind in _GROUPS for code in codes}
_TRANSPORT_ERRORS = (SlackApiError, TimeoutError, aiohttp.ClientError)

FREE_RATE_LIMITS = 3  # 429s per call that do not count toward max_attempts
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is capped
POLL_INTERVAL = 1.0  # seconds between looks at the outbox when nobody wakes the notifier
LEASE_MARGIN = 1.0  # seconds kept between the last call's timeout and the end of the lease
METADATA_EVENT = "dd0c_anomaly"  # the event_type of the metadata every card carries


class Gate(Protocol):
    """Governance: decides (and records) whether a claimed anomaly is posted now."""

    async def decide(self, anomaly: StoredAnomaly) -> Decision:
        """The delivery decision for this anomaly."""


class Recipients(Protocol):
    """Who receives a tenant's alerts; the Slack app implements it over its installations."""

    async def bot_token(self, tenant_id: str) -> str | None:
        """The workspace's bot token; None when it is not installed or inactive."""

    async def alert_channel(self, tenant_id: str) -> str | None:
        """The channel alerts go to; None when none is chosen yet."""

    async def installer_user(self, tenant_id: str) -> str | None:
        """The user who installed the app, told by DM when the channel refuses an alert."""

    async def deactivate(self, tenant_id: str, reason: str) -> None:
        """Mark the installation inactive: Slack refused its token (`reason` is the error)."""


@dataclass
class NotifierStats:
    """What the notifier did since it started."""

    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    retries: int = 0
    rate_limited: int = 0
    fallbacks: int = 0
    deferred: int = 0
    late_answers: int = 0  # chat.postMessage answers awaited past the timeout (not re-posted)

    def settled(self, state: Settled) -> None:
        """Count one alert settled in `state`."""
        setattr(self, state, getattr(self, state) + 1)


class _SlackFailure(Exception):
    """A Slack call that did not succeed, classified for the retry policy."""

    def __init__(self, kind: FailureKind, code: str, retry_after: float = 0.0) -> None:
        super().__init__(code)
        self.kind, self.code, self.retry_after = kind, code, retry_after
        self.reason = code

    def gave_up(self, calls: int) -> _SlackFailure:
        """The same failure, its reason saying how many calls were made."""
        self.reason = messages.gave_up(self.code, calls)
        return self


class _Deferred(Exception):
    """A wait would outlive the claim: leave it to expire so the alert is retried later."""


@dataclass
class _Outcome:
    state: Settled
    reason: str | None = None
    slack: SlackMessage | None = None


@dataclass
class _Delivery:
    """One claimed anomaly being delivered with its tenant's client, before `deadline`."""

    anomaly: StoredAnomaly
    client: AsyncWebClient
    deadline: float  # event-loop time after which another replica may claim the anomaly

    @property
    def tenant_id(self) -> str:
        """The tenant the anomaly belongs to."""
        return self.anomaly.tenant_id


@dataclass
class _Budget:
    """Counts of one Slack call's attempts."""

    calls: int = 0
    counted: int = 0  # failed attempts toward max_attempts
    rate_limits: int = 0


def alert_card(anomaly: StoredAnomaly, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """The alert card (`bot.blocks.alert`) as chat.postMessage's `text` and `blocks`."""
    message = alert_message(anomaly, now)
    return message.text, to_dicts(message.blocks)


def _ids(anomaly: StoredAnomaly) -> dict[str, str]:
    """The log fields that identify an alert (never a token)."""
    return {"tenant_id": anomaly.tenant_id, "anomaly_id": anomaly.id}


class Notifier:
    """Claims pending anomalies and posts their cards to each tenant's Slack."""

    def __init__(
        self,
        store: Store,
        recipients: Recipients,
        *,
        api_url: str,
        clock: Clock = _utcnow,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 5,
        base_backoff: float = 0.5,
        timeout: float = 10.0,
        concurrency: int = 4,
        render: Render = alert_card,
        session: aiohttp.ClientSession | None = None,
        gate: Gate | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if lease.total_seconds() < 3 * timeout + LEASE_MARGIN:
            raise ValueError("the lease must outlast several Slack calls (>= 3 x timeout + 1 s)")
        self._store, self._recipients, self._api_url = store, recipients, api_url
        self._clock, self._lease, self._render, self._session = clock, lease, render, session
        self._max_attempts, self._base_backoff = max_attempts, base_backoff
        self._timeout, self._concurrency = timeout, concurrency
        self._not_before: dict[str, float] = {}  # tenant id -> loop time its rate limit ends
        self._wake = asyncio.Event()
        self._rng = random.Random()
        self._gate = gate
        self._metrics = metrics
        # Without a gate only warning/critical are claimed (info waits for the digest); with one,
        # every anomaly gets its decision recorded.
        self._severities = EVERY_SEVERITY if gate is not None else PUSHED
        self.stats = NotifierStats()

    # -- running ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (the pipeline calls this when it records an anomaly)."""
        self._wake.set()

    async def deliver_one(self) -> bool:
        """Claim one pending anomaly and deliver it; False when nothing was pending."""
        anomaly = await self._store.anomalies.claim_pending(
            self._clock(), self._lease, self._severities
        )
        if anomaly is None:
            return False
        await self._deliver(anomaly)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, `concurrency` alerts at a time; idle when none pends."""
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                self._wake.clear()
                await self._fill(in_flight)
                await self._idle(stop, in_flight)
        finally:
            await self._drain(in_flight)

    async def _fill(self, in_flight: set[asyncio.Task[None]]) -> None:
        """Claim and start deliveries until the slots are full or nothing is pending."""
        while len(in_flight) < self._concurrency:
            try:
                anomaly = await self._store.anomalies.claim_pending(
                    self._clock(), self._lease, self._severities
                )
            except Exception:  # the loop's edge: log, and look again after the poll interval
                logger.exception("claiming a pending alert failed")
                return
            if anomaly is None:
                return
            task = asyncio.create_task(self._deliver_guarded(anomaly))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    async def _idle(self, stop: asyncio.Event, in_flight: set[asyncio.Task[None]]) -> None:
        """Wait for a wake-up, the stop, a free slot or the poll interval, whichever is first."""
        waiters = {asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())}
        try:
            await asyncio.wait(
                waiters | in_flight, timeout=POLL_INTERVAL, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def _drain(self, in_flight: set[asyncio.Task[None]]) -> None:
        """Let deliveries finish for one call's timeout, then cancel (their claims expire)."""
        if not in_flight:
            return
        _, late = await asyncio.wait(set(in_flight), timeout=self._timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _deliver_guarded(self, anomaly: StoredAnomaly) -> None:
        """Deliver; an unexpected error is logged and the claim left to expire (retried)."""
        try:
            await self._deliver(anomaly)
        except Exception:  # the task's edge: nothing above it would see the error
            logger.exception(
                "delivering an alert failed; it is retried when its claim expires",
                extra=_ids(anomaly),
            )

    # -- one delivery ----------------------------------------------------------------------------

    async def _deliver(self, anomaly: StoredAnomaly) -> None:
        """Post the claimed anomaly's card and record the outcome."""
        deadline = asyncio.get_running_loop().time() + self._lease.total_seconds() - LEASE_MARGIN
        if self._gate is not None:
            decision = await self._gate.decide(anomaly)
            if not decision.post_now:
                await self._settle(anomaly, _Outcome("suppressed", decision.reason))
                return
        token = await self._recipients.bot_token(anomaly.tenant_id)
        if token is None:
            await self._settle(anomaly, _Outcome("suppressed", messages.NOT_INSTALLED))
            return
        try:
            outcome = await self._post_card(_Delivery(anomaly, self._client(token), deadline))
        except _Deferred as deferred:
            self.stats.deferred += 1
            logger.warning(
                "alert deferred until its claim expires: %s", deferred, extra=_ids(anomaly)
            )
            return
        await self._settle(anomaly, outcome)

    def _client(self, token: str) -> AsyncWebClient:
        # Retries are this module's policy, so the SDK's own retry handlers are switched off.
        # The SDK's own timeout is the lease: `_attempt` decides when to stop waiting.
        return AsyncWebClient(
            token=token,
            base_url=self._api_url,
            timeout=math.ceil(self._lease.total_seconds()) + 1,
            session=self._session,
            retry_handlers=[],
        )

    async def _post_card(self, delivery: _Delivery) -> _Outcome:
        """Post to the alert channel, or to the installer when the channel refuses it."""
        text, blocks = self._render(delivery.anomaly, self._clock())
        channel = await self._recipients.alert_channel(delivery.tenant_id)
        if channel is None:
            note = messages.no_alert_channel()
            return await self._post_to_installer(
                delivery, text, blocks, note, messages.NO_ALERT_CHANNEL
            )
        try:
            ts = await self._post(delivery, channel, text, blocks)
        except _SlackFailure as failure:
            if failure.kind != "channel":
                return await self._failed(delivery, failure)
            note = messages.cannot_post_in(channel)
            return await self._post_to_installer(delivery, text, blocks, note, failure.code)
        return _Outcome("sent", slack=SlackMessage(channel=channel, ts=ts))

    async def _post_to_installer(
        self, delivery: _Delivery, text: str, blocks: list[dict[str, Any]], note: str, cause: str
    ) -> _Outcome:
        """Send the card to the installer's DM, opened by a note saying why it came there."""
        user = await self._recipients.installer_user(delivery.tenant_id)
        if user is None:
            return _Outcome("failed", f"{cause}; {messages.NO_INSTALLER}")
        try:
            opened = await self._call(
                delivery, lambda: delivery.client.conversations_open(users=user)
            )
            channel = str(opened["channel"]["id"])
            ts = await self._post(delivery, channel, text, [_note(note), *blocks])
        except _SlackFailure as failure:
            return await self._failed(delivery, failure, cause)
        self.stats.fallbacks += 1
        slack = SlackMessage(channel=channel, ts=ts)
        return _Outcome("sent", messages.sent_to_installer(cause), slack)

    async def _failed(
        self, delivery: _Delivery, failure: _SlackFailure, cause: str | None = None
    ) -> _Outcome:
        """The failed outcome; a refused token deactivates the tenant first."""
        if failure.kind == "auth":
            await self._recipients.deactivate(delivery.tenant_id, failure.code)
        reason = failure.reason if cause is None else messages.dm_failed(cause, failure.reason)
        return _Outcome("failed", reason)

    async def _settle(self, anomaly: StoredAnomaly, outcome: _Outcome) -> None:
        """Record the outcome on the anomaly (this also ends the claim)."""
        await self._store.anomalies.set_alert_state(
            anomaly.tenant_id,
            anomaly.id,
            outcome.state,
            reason=outcome.reason,
            slack=outcome.slack,
        )
        self.stats.settled(outcome.state)
        if outcome.state == "failed" and self._metrics is not None:
            self._metrics.add("SlackDeliveriesFailed")
        level = logging.WARNING if outcome.state == "failed" else logging.INFO
        channel = outcome.slack.channel if outcome.slack else None
        extra = _ids(anomaly) | {"alert_state": outcome.state, "channel": channel}
        logger.log(level, "alert %s: %s", outcome.state, outcome.reason or "ok", extra=extra)

    # -- Slack calls and the retry policy --------------------------------------------------------

    async def _post(
        self, delivery: _Delivery, channel: str, text: str, blocks: list[dict[str, Any]]
    ) -> str:
        """chat.postMessage; the message's ts."""
        metadata = {
            "event_type": METADATA_EVENT,
            "event_payload": {"anomaly_id": delivery.anomaly.id},
        }
        response = await self._call(
            delivery,
            lambda: delivery.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
            repeatable=False,
        )
        return str(response["ts"])

    async def _call(
        self,
        delivery: _Delivery,
        request: Callable[[], Awaitable[AsyncSlackResponse]],
        *,
        repeatable: bool = True,
    ) -> AsyncSlackResponse:
        """Make one Slack call, retrying per the policy; raises _SlackFailure or _Deferred.

        A call that is not `repeatable` (a post) is never abandoned on a timeout (`_attempt`).
        """
        budget = _Budget()
        delay = 0.0
        while True:
            await self._wait(delivery, max(delay, self._rate_limit_left(delivery.tenant_id)))
            budget.calls += 1
            try:
                return await self._attempt(delivery, request, repeatable)
            except _TRANSPORT_ERRORS as exc:
                failure = _classify(exc)
            delay = self._retry_delay(delivery.tenant_id, failure, budget)

    async def _attempt(
        self,
        delivery: _Delivery,
        request: Callable[[], Awaitable[AsyncSlackResponse]],
        repeatable: bool,
    ) -> AsyncSlackResponse:
        """One attempt; past the timeout a repeatable one is cancelled, a post awaited."""
        if repeatable:
            async with asyncio.timeout(self._timeout):
                return await request()
        call = asyncio.ensure_future(request())
        try:
            done, _ = await asyncio.wait({call}, timeout=self._timeout)
            if not done:
                self.stats.late_answers += 1
                logger.warning(
                    "chat.postMessage unanswered after %.1f s: waiting for it, not posting again",
                    self._timeout,
                    extra=_ids(delivery.anomaly),
                )
                left = delivery.deadline - asyncio.get_running_loop().time()
                done, _ = await asyncio.wait({call}, timeout=max(left, 0.0))
            if not done:
                raise _Deferred("chat.postMessage still unanswered when the claim ends")
            return call.result()
        finally:
            if not call.done():
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)

    def _retry_delay(self, tenant_id: str, failure: _SlackFailure, budget: _Budget) -> float:
        """Seconds to wait before the next attempt; raises the failure when there is none."""
        if failure.kind == "rate_limited":
            return self._after_rate_limit(tenant_id, failure, budget)
        if failure.kind != "transient":
            raise failure
        self._count_attempt(failure, budget)
        self.stats.retries += 1
        return self._backoff(budget.counted)

    def _after_rate_limit(self, tenant_id: str, failure: _SlackFailure, budget: _Budget) -> float:
        """Pause the whole tenant for Retry-After; only 429s past the free few count."""
        self.stats.rate_limited += 1
        budget.rate_limits += 1
        if budget.rate_limits > FREE_RATE_LIMITS:
            self._count_attempt(failure, budget)
        ends = asyncio.get_running_loop().time() + failure.retry_after
        self._not_before[tenant_id] = max(self._not_before.get(tenant_id, 0.0), ends)
        return 0.0  # the tenant's pause is waited for before the next call

    def _count_attempt(self, failure: _SlackFailure, budget: _Budget) -> None:
        """Count a failed attempt; raise the failure once max_attempts are used up."""
        budget.counted += 1
        if budget.counted >= self._max_attempts:
            raise failure.gave_up(budget.calls)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of base x 2^(attempt-1)."""
        ceiling = self._base_backoff * 2 ** (attempt - 1)
        return self._rng.uniform(ceiling / 2, ceiling)

    def _rate_limit_left(self, tenant_id: str) -> float:
        """Seconds until the tenant's latest Retry-After ends (0 when it is not limited)."""
        ends = self._not_before.get(tenant_id)
        left = 0.0 if ends is None else ends - asyncio.get_running_loop().time()
        if left <= 0:
            self._not_before.pop(tenant_id, None)
        return max(left, 0.0)

    async def _wait(self, delivery: _Delivery, seconds: float) -> None:
        """Sleep before a call, unless the call could then end after the lease (_Deferred)."""
        ends = asyncio.get_running_loop().time() + seconds + self._timeout
        if ends > delivery.deadline:
            raise _Deferred(f"waiting {seconds:.1f} s more would outlive the claim")
        if seconds > 0:
            await asyncio.sleep(seconds)


def _classify(exc: Exception) -> _SlackFailure:
    """The retry policy's view of an error from a Slack call."""
    if isinstance(exc, SlackApiError):
        failure = _classify_response(exc)
    elif isinstance(exc, TimeoutError):
        failure = _SlackFailure("transient", "timeout")
    else:
        failure = _SlackFailure("transient", f"connection_error ({type(exc).__name__})")
    failure.__cause__ = exc
    return failure


def _classify_response(exc: SlackApiError) -> _SlackFailure:
    """Classify an answer: 429, 5xx, or Slack's error code."""
    status = int(exc.response.status_code)
    if status == 429:
        return _SlackFailure("rate_limited", "ratelimited", _retry_after(exc.response.headers))
    if status >= 500:
        return _SlackFailure("transient", f"http_{status}")
    data = exc.response.data
    code = str(data.get("error", "unknown_error")) if isinstance(data, dict) else f"http_{status}"
    return _SlackFailure(_KINDS.get(code, "other"), code)


def _retry_after(headers: Any) -> float:
    """Retry-After in seconds, capped at MAX_RETRY_AFTER (1 s when absent or unreadable)."""
    try:
        seconds = float(headers.get("Retry-After", 1))
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _note(text: str) -> dict[str, Any]:
    """The section that opens an alert sent to the installer instead of the channel."""
    return section(text).to_dict()
