"""The notifier against the fake Slack Web API over HTTP and the in-process store."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot import messages
from bot.notifier import Notifier, alert_card
from engine import Anomaly
from storage import Store
from storage.anomalies import StoredAnomaly
from telemetry.metrics import Metrics
from tests.engine.factories import event
from tests.slack_fake import FakeSlack
from tests.stores import NOW, fresh_store

POST = "chat.postMessage"
TOKENS = {"T1": "xoxb-t1", "T2": "xoxb-t2"}
LEASE = timedelta(seconds=10)


@dataclass
class FakeRecipients:
    """Recipients as the Slack app would answer them, with the deactivations it was told of."""

    tokens: dict[str, str] = field(default_factory=lambda: dict(TOKENS))
    channels: dict[str, str] = field(default_factory=lambda: {"T1": "C1", "T2": "C2"})
    installers: dict[str, str] = field(default_factory=lambda: {"T1": "U1", "T2": "U2"})
    deactivated: list[tuple[str, str]] = field(default_factory=list)

    async def bot_token(self, tenant_id: str) -> str | None:
        """The tenant's token unless it was deactivated."""
        if any(tenant == tenant_id for tenant, _ in self.deactivated):
            return None
        return self.tokens.get(tenant_id)

    async def alert_channel(self, tenant_id: str) -> str | None:
        """The tenant's alert channel."""
        return self.channels.get(tenant_id)

    async def installer_user(self, tenant_id: str) -> str | None:
        """The tenant's installer."""
        return self.installers.get(tenant_id)

    async def deactivate(self, tenant_id: str, reason: str) -> None:
        """Remember the deactivation."""
        self.deactivated.append((tenant_id, reason))


def card(anomaly: StoredAnomaly, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """A tiny card naming the anomaly, so tests can count posts per anomaly."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{anomaly.id}*"}}
    return f"alert {anomaly.id}", [section]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack with two workspaces."""
    async with FakeSlack() as fake:
        fake.add_workspace(TOKENS["T1"], team_id="T1", bot_user_id="UBOT1")
        fake.add_workspace(TOKENS["T2"], team_id="T2", bot_user_id="UBOT2")
        yield fake


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """A fresh, migrated in-process store."""
    store = await fresh_store()
    yield store
    await store.close()


@pytest.fixture
def recipients() -> FakeRecipients:
    """Both tenants installed, with channels and installers."""
    return FakeRecipients()


def notifier(
    store: Store, slack: FakeSlack, recipients: FakeRecipients, **options: Any
) -> Notifier:
    """A notifier with test-sized timeouts and backoff."""
    settings: dict[str, Any] = {"lease": LEASE, "timeout": 0.5, "base_backoff": 0.01}
    settings |= options
    return Notifier(store, recipients, api_url=slack.base_url, render=card, **settings)


async def pending(store: Store, tenant: str = "T1", severity: str = "critical") -> str:
    """Record an anomaly with a pending alert; its id."""
    cost = event(30.0, resource_ids=("i-0abc1234",))
    verdict = Anomaly(severity=severity, score=9.0, reasons=("never seen m5.24xlarge",))
    assert await store.anomalies.create(tenant, cost, verdict, NOW)
    return cost.event_id


async def stored(store: Store, anomaly_id: str, tenant: str = "T1") -> StoredAnomaly:
    """The anomaly as stored now."""
    found = await store.anomalies.get(tenant, anomaly_id)
    assert found is not None
    return found


def posted_ids(slack: FakeSlack) -> Counter[str]:
    """How many times each anomaly was posted (read from the recorded text)."""
    return Counter(str(c.body["text"]).removeprefix("alert ") for c in slack.calls_to(POST))


# -- happy path --------------------------------------------------------------------------------


async def test_posts_a_pending_alert_once(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    notify = notifier(store, slack, recipients)

    assert await notify.deliver_one()
    assert not await notify.deliver_one()

    call = slack.last(POST)
    assert len(slack.calls_to(POST)) == 1
    assert call.token == "xoxb-t1"
    assert call.body["channel"] == "C1" and call.body["unfurl_links"] is False
    assert call.body["blocks"] == card(await stored(store, anomaly_id), NOW)[1]
    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "sent" and saved.claim_until is None
    assert saved.slack is not None and (saved.slack.channel, saved.slack.ts) == (
        "C1",
        next(ts for (channel, ts) in slack.messages if channel == "C1"),
    )
    assert notify.stats.sent == 1


async def test_info_waits_for_the_digest(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store, severity="info")

    assert not await notifier(store, slack, recipients).deliver_one()

    assert slack.calls == []
    assert (await stored(store, anomaly_id)).alert_state == "pending"


async def test_default_card_is_the_alert_card(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    notify = Notifier(store, recipients, api_url=slack.base_url, timeout=0.5)

    assert await notify.deliver_one()

    text, blocks = alert_card(await stored(store, anomaly_id), NOW)
    assert slack.last(POST).body["text"] == text
    assert [b["type"] for b in slack.last(POST).body["blocks"]] == [b["type"] for b in blocks]


# -- Slack failing for a while -----------------------------------------------------------------


@pytest.mark.slow  # waits Slack's Retry-After: 1 s
async def test_rate_limit_waits_for_retry_after(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.rate_limit(POST, retry_after=1)
    notify = notifier(store, slack, recipients)

    assert await notify.deliver_one()

    first, second = slack.calls_to(POST)
    assert second.at - first.at >= 1.0
    assert (await stored(store, anomaly_id)).alert_state == "sent"
    assert (notify.stats.rate_limited, notify.stats.retries) == (1, 0)


@pytest.mark.slow  # waits Slack's Retry-After: 2 s
async def test_a_rate_limited_tenant_does_not_hold_up_others(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    limited = await pending(store, "T1")
    other = await pending(store, "T2")
    slack.rate_limit(POST, retry_after=2, token=TOKENS["T1"])
    notify = notifier(store, slack, recipients, concurrency=2)
    stop = asyncio.Event()

    started = time.monotonic()
    runner = asyncio.create_task(notify.run(stop))
    await until(lambda: notify.stats.sent == 2, timeout=5)
    stop.set()
    await runner

    last_post = {c.token: c.at - started for c in slack.calls_to(POST)}
    assert last_post[TOKENS["T2"]] < 1.0
    assert last_post[TOKENS["T1"]] >= 2.0
    assert (await stored(store, limited)).alert_state == "sent"
    assert (await stored(store, other, "T2")).alert_state == "sent"


async def test_server_errors_are_retried(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.server_error(POST, status=503, times=2)
    notify = notifier(store, slack, recipients)

    assert await notify.deliver_one()

    assert len(slack.calls_to(POST)) == 3
    assert (await stored(store, anomaly_id)).alert_state == "sent"
    assert notify.stats.retries == 2


async def test_server_errors_fail_after_max_attempts(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.server_error(POST, status=503, times=100)
    metrics = Metrics(lambda: NOW, lambda line: None)
    notify = notifier(store, slack, recipients, max_attempts=4, metrics=metrics)

    assert await notify.deliver_one()

    saved = await stored(store, anomaly_id)
    assert len(slack.calls_to(POST)) == 4
    assert (saved.alert_state, saved.alert_reason) == ("failed", "http_503 after 4 attempts")
    assert saved.claim_until is None and notify.stats.failed == 1
    (sent,) = [doc for doc in metrics.flush() if doc["Service"] == "notifier"]
    assert sent["SlackDeliveriesFailed"] == 1  # what an ops alarm on Slack delivery would read


@pytest.mark.slow  # waits a late answer: 1.5 s
async def test_a_post_slack_accepted_but_answered_late_is_posted_once(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.accept_then_delay(POST, 1.5)  # posted at once, answered after the 0.3 s timeout
    notify = notifier(store, slack, recipients, timeout=0.3)

    assert await notify.deliver_one()

    assert len(slack.calls_to(POST)) == 1 and len(slack.messages) == 1
    ((channel, ts), message) = next(iter(slack.messages.items()))
    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "sent" and saved.slack is not None
    assert (saved.slack.channel, saved.slack.ts) == (channel, ts)
    assert message["metadata"] == {
        "event_type": "dd0c_anomaly",
        "event_payload": {"anomaly_id": anomaly_id},
    }
    assert (notify.stats.late_answers, notify.stats.retries, notify.stats.sent) == (1, 0, 1)


@pytest.mark.slow  # waits out a 3 s lease's margin: 2 s
async def test_a_post_unanswered_until_the_lease_ends_is_left_to_the_claim(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.accept_then_delay(POST, 30)
    notify = notifier(store, slack, recipients, lease=timedelta(seconds=3), timeout=0.5)

    started = time.monotonic()
    assert await notify.deliver_one()

    assert time.monotonic() - started < 3  # within the lease, less its margin
    assert len(slack.calls_to(POST)) == 1  # never posted a second time
    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "pending" and saved.claim_until is not None
    assert notify.stats.deferred == 1


async def test_a_timed_out_dm_channel_lookup_is_retried(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    recipients.channels.pop("T1")  # the card goes to the installer's DM
    slack.delay("conversations.open", 2.0)  # opening a DM twice is harmless
    notify = notifier(store, slack, recipients, timeout=0.3)

    started = time.monotonic()
    assert await notify.deliver_one()

    assert time.monotonic() - started < 1.5
    assert len(slack.calls_to("conversations.open")) == 2 and len(slack.calls_to(POST)) == 1
    assert (await stored(store, anomaly_id)).alert_state == "sent"
    assert notify.stats.retries == 1


async def test_a_wait_longer_than_the_lease_leaves_the_claim_to_expire(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.rate_limit(POST, retry_after=30)
    notify = notifier(store, slack, recipients, lease=timedelta(seconds=5))

    assert await notify.deliver_one()

    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "pending" and saved.claim_until is not None
    assert notify.stats.deferred == 1 and len(slack.calls_to(POST)) == 1


# -- Slack refusing ----------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_refused_token_deactivates_the_tenant(
    store: Store, slack: FakeSlack, recipients: FakeRecipients, error: str
) -> None:
    anomaly_id = await pending(store)
    if error == "token_revoked":
        slack.revoke(TOKENS["T1"])
    else:
        slack.fail(POST, error)

    assert await notifier(store, slack, recipients).deliver_one()

    saved = await stored(store, anomaly_id)
    assert (saved.alert_state, saved.alert_reason) == ("failed", error)
    assert recipients.deactivated == [("T1", error)]
    assert len(slack.calls_to(POST)) == 1


async def test_another_slack_error_fails_with_its_code(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.fail(POST, "msg_blocks_too_long")

    assert await notifier(store, slack, recipients).deliver_one()

    saved = await stored(store, anomaly_id)
    assert (saved.alert_state, saved.alert_reason) == ("failed", "msg_blocks_too_long")
    assert recipients.deactivated == [] and len(slack.calls_to(POST)) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_a_refusing_channel_sends_the_alert_to_the_installer(
    store: Store, slack: FakeSlack, recipients: FakeRecipients, error: str
) -> None:
    anomaly_id = await pending(store)
    slack.fail(POST, error, channel="C1")
    notify = notifier(store, slack, recipients)

    assert await notify.deliver_one()

    assert slack.last("conversations.open").body["users"] == "U1"
    dm = slack.last(POST)
    note = dm.body["blocks"][0]["text"]["text"]
    assert dm.body["channel"].startswith("D")
    assert "I can't post in <#C1>" in note and "`/invite @dd0c`" in note
    assert dm.body["blocks"][1:] == card(await stored(store, anomaly_id), NOW)[1]
    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "sent" and saved.slack is not None
    assert saved.slack.channel == dm.body["channel"]
    assert saved.alert_reason == messages.sent_to_installer(error)
    assert notify.stats.fallbacks == 1


async def test_no_installer_to_tell_fails(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.fail(POST, "channel_not_found")
    del recipients.installers["T1"]

    assert await notifier(store, slack, recipients).deliver_one()

    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "failed"
    assert saved.alert_reason == f"channel_not_found; {messages.NO_INSTALLER}"
    assert slack.calls_to("conversations.open") == []


async def test_a_failing_dm_fails_with_both_reasons(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    slack.fail(POST, "is_archived", channel="C1")
    slack.fail("conversations.open", "user_not_found")

    assert await notifier(store, slack, recipients).deliver_one()

    saved = await stored(store, anomaly_id)
    assert saved.alert_state == "failed"
    assert saved.alert_reason == messages.dm_failed("is_archived", "user_not_found")


async def test_no_alert_channel_sends_the_alert_to_the_installer(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    del recipients.channels["T1"]

    assert await notifier(store, slack, recipients).deliver_one()

    assert len(slack.calls_to(POST)) == 1
    assert slack.last(POST).body["blocks"][0]["text"]["text"] == messages.no_alert_channel()
    assert (await stored(store, anomaly_id)).alert_state == "sent"


async def test_an_uninstalled_tenant_is_suppressed(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store, "T9")
    notify = notifier(store, slack, recipients)

    assert await notify.deliver_one()

    saved = await stored(store, anomaly_id, "T9")
    assert (saved.alert_state, saved.alert_reason) == ("suppressed", messages.NOT_INSTALLED)
    assert slack.calls == [] and notify.stats.suppressed == 1


# -- replicas, crashes and the loop ------------------------------------------------------------


async def test_two_notifiers_post_each_alert_exactly_once(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    ids = [await pending(store, ("T1", "T2")[i % 2]) for i in range(20)]
    replicas = [notifier(store, slack, recipients, concurrency=3) for _ in range(2)]
    stop = asyncio.Event()

    runners = [asyncio.create_task(replica.run(stop)) for replica in replicas]
    await until(lambda: sum(r.stats.sent for r in replicas) == 20, timeout=10)
    stop.set()
    await asyncio.gather(*runners)

    assert posted_ids(slack) == Counter(dict.fromkeys(ids, 1))
    assert all(r.stats.sent > 0 for r in replicas)
    assert await store.anomalies.pending() == []


async def test_a_dead_replicas_claim_is_delivered_after_its_lease(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    anomaly_id = await pending(store)
    claimed = await store.anomalies.claim_pending(NOW, LEASE)  # ... and the replica dies
    assert claimed is not None and claimed.id == anomaly_id

    early = notifier(store, slack, recipients, clock=lambda: NOW + LEASE / 2)
    late = notifier(store, slack, recipients, clock=lambda: NOW + LEASE + timedelta(seconds=1))

    assert not await early.deliver_one()
    assert await late.deliver_one()
    assert posted_ids(slack) == Counter({anomaly_id: 1})
    assert (await stored(store, anomaly_id)).alert_state == "sent"


async def test_wake_delivers_within_a_fraction_of_the_poll_interval(
    store: Store, slack: FakeSlack, recipients: FakeRecipients
) -> None:
    notify = notifier(store, slack, recipients)
    stop = asyncio.Event()
    runner = asyncio.create_task(notify.run(stop))
    await asyncio.sleep(0.05)  # the loop found nothing and sleeps

    started = time.monotonic()
    await pending(store)
    notify.wake()
    await until(lambda: notify.stats.sent == 1, timeout=2)
    latency = time.monotonic() - started
    stop.set()
    await runner

    assert latency < 0.5


async def test_logs_name_the_alert_and_never_the_token(
    store: Store, slack: FakeSlack, recipients: FakeRecipients, caplog: pytest.LogCaptureFixture
) -> None:
    anomaly_id = await pending(store)
    slack.fail(POST, "invalid_auth")

    with caplog.at_level(logging.DEBUG):
        await notifier(store, slack, recipients).deliver_one()

    assert "xoxb-" not in caplog.text
    record = next(r for r in caplog.records if r.name == "bot.notifier")
    assert (record.__dict__["tenant_id"], record.__dict__["anomaly_id"]) == ("T1", anomaly_id)


def test_the_lease_must_outlast_the_calls(store: Store, recipients: FakeRecipients) -> None:
    with pytest.raises(ValueError, match="lease"):
        Notifier(store, recipients, api_url="http://127.0.0.1:1/api/", lease=timedelta(seconds=5))


async def until(condition: Any, timeout: float) -> None:
    """Wait until `condition()` holds (AssertionError after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
