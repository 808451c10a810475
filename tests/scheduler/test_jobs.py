"""The timed jobs against the fake Slack over HTTP, the store and the real Redis, on a fake
clock: the digest at 09:00 in the workspace's time zone (once a day, skipped when empty),
promotion announced in the channel, snooze expiry re-opening the anomaly and saying so on its
card, and the learning path end to end: strict posts only the fast path, the statistical finding
lands in the next digest, and after promotion a statistical warning posts at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import SlackConfig, build, routes
from bot.notifier import Notifier
from bot.poster import ChannelPoster
from bot.queries import digest
from bot.recipients import StoreRecipients
from bot.services import SlackServices
from governance import Governance, PanicSwitch, Policy
from scheduler import Job, JobRunner
from scheduler.jobs import Jobs
from storage import Store, memory_store
from storage.crypto import TokenCipher
from tests.bot.test_slack_app import KEY, SECRET, World, install
from tests.governance.records import recorded
from tests.scheduler.conftest import Clock
from tests.slack_fake import FakeSlack

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
ACCOUNT = "111122223333"


@dataclass
class Rig:
    """The jobs and everything around them."""

    world: World
    clock: Clock
    jobs: Jobs
    runner: JobRunner
    notifier: Notifier

    @property
    def store(self) -> Store:
        return self.world.store

    def job(self, name: str) -> Job:
        return next(j for j in self.jobs.build() if j.name == name)

    def posts(self) -> list[Any]:
        return self.world.slack.calls_to("chat.postMessage")

    def digests(self) -> list[Any]:
        return [c for c in self.posts() if "daily digest" in str(c.body.get("blocks"))]


@pytest.fixture
async def rig(redis: aioredis.Redis, prefix: str) -> AsyncIterator[Rig]:
    """The Slack app on a test server (for the OAuth install), the jobs on a fake clock."""
    clock = Clock(datetime.now(UTC).replace(hour=13, minute=0, second=0, microsecond=0))
    async with FakeSlack() as slack:
        store = memory_store(TokenCipher([KEY]))
        await store.start(clock())
        governance = Governance(store, PanicSwitch(redis, prefix), Policy(), clock)
        services = SlackServices(store, clock=clock, governance=governance)
        bolt = build(SlackConfig("111.222", "client-secret", SECRET, slack.base_url), services)
        app = web.Application()
        app.add_routes(routes(bolt))
        async with TestClient(TestServer(app)) as http:
            world = World(slack, store, services, http)
            await install(world)
            jobs = Jobs(store, governance, ChannelPoster(services, slack.base_url), clock, digest)
            notifier = Notifier(
                store,
                StoreRecipients(services),
                api_url=slack.base_url,
                clock=clock,
                gate=governance,
            )
            yield Rig(world, clock, jobs, JobRunner(redis, prefix, clock), notifier)
        await store.close()


async def deliver_all(rig: Rig) -> None:
    while await rig.notifier.deliver_one():
        pass


async def test_the_digest_waits_for_0900_in_the_workspace_zone_and_posts_once(rig: Rig) -> None:
    rig.world.slack.set_user("U1", tz="America/New_York")  # the installer: UTC-5 in December
    await rig.store.accounts.attach("T1", ACCOUNT, rig.clock())
    await recorded(rig.store, "T1", rig.clock(), severity="info", cost=0.7, account=ACCOUNT)
    await deliver_all(rig)
    job = rig.job("digest")
    assert await rig.runner.run(job) == "done"  # 13:00 UTC = 08:00 in New York
    assert rig.digests() == []
    rig.clock.now += timedelta(hours=1)  # 09:00 in New York
    assert await rig.runner.run(job) == "done"
    (posted,) = rig.digests()
    assert posted.body["channel"] == "C1"
    assert "*Info-level* (1)" in str(posted.body["blocks"])
    rig.clock.now += timedelta(hours=1)
    assert await rig.runner.run(job) == "done"
    assert len(rig.digests()) == 1  # once a day


async def test_an_empty_digest_is_skipped(rig: Rig) -> None:
    assert await rig.runner.run(rig.job("digest")) == "done"  # 13:00 UTC, tz UTC: due
    assert rig.digests() == []
    tenant = await rig.store.tenants.get("T1")
    assert tenant is not None and tenant.last_digest_on == rig.clock().date().isoformat()


async def test_strict_then_digest_then_promotion_then_a_statistical_warning_posts(
    rig: Rig,
) -> None:
    await rig.store.accounts.attach("T1", ACCOUNT, rig.clock())
    fast = await recorded(rig.store, "T1", rig.clock(), fast_path=True, cost=9.0, account=ACCOUNT)
    held = await recorded(rig.store, "T1", rig.clock(), fast_path=False, account=ACCOUNT)
    await deliver_all(rig)
    cards = [c for c in rig.posts() if "Why this alert" in str(c.body.get("blocks"))]
    assert len(cards) == 1 and fast.id in str(cards[0].body["blocks"])  # only the fast path

    assert await rig.runner.run(rig.job("digest")) == "done"
    (posted,) = rig.digests()
    blocks = str(posted.body["blocks"])
    assert "*Held back by governance* (1: strict mode or snoozed)" in blocks
    assert held.id not in str(cards)

    rig.clock.now += timedelta(days=14, hours=1)
    assert await rig.runner.run(rig.job("promotion")) == "done"
    announced = [c for c in rig.posts() if "Auto-promoted" in str(c.body.get("text"))]
    assert len(announced) == 1
    assert (
        announced[0]
        .body["text"]
        .startswith(
            f":arrow_up: Auto-promoted {ACCOUNT} to audit after 14 days, 0% false positives."
        )
    )
    later = await recorded(rig.store, "T1", rig.clock(), fast_path=False, account=ACCOUNT)
    await deliver_all(rig)
    stored = await rig.store.anomalies.get("T1", later.id)
    assert stored is not None and (stored.delivery, stored.alert_state) == ("posted", "sent")


async def test_an_ended_snooze_reopens_the_anomaly_and_updates_its_card(rig: Rig) -> None:
    await rig.store.accounts.attach("T1", ACCOUNT, rig.clock())
    first = await recorded(rig.store, "T1", rig.clock(), fast_path=True, account=ACCOUNT)
    await deliver_all(rig)
    until = rig.clock() + timedelta(hours=1)
    await rig.store.anomalies.set_status("T1", first.id, "snoozed", rig.clock(), snooze_until=until)
    same = await recorded(rig.store, "T1", rig.clock(), fast_path=True, account=ACCOUNT)
    await deliver_all(rig)
    held = await rig.store.anomalies.get("T1", same.id)
    assert held is not None and held.delivery == "held-back"

    assert await rig.runner.run(rig.job("snooze-expiry")) == "done"
    assert rig.world.slack.calls_to("chat.update") == []  # not ended yet
    rig.clock.now = until + timedelta(minutes=1)
    assert await rig.runner.run(rig.job("snooze-expiry")) == "done"
    reopened = await rig.store.anomalies.get("T1", first.id)
    assert reopened is not None and reopened.status == "open" and reopened.slack is not None
    update = rig.world.slack.last("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (
        reopened.slack.channel,
        reopened.slack.ts,
    )
    assert "Snooze ended" in str(update.body["blocks"])
    after = await recorded(rig.store, "T1", rig.clock(), fast_path=True, account=ACCOUNT)
    await deliver_all(rig)
    posted = await rig.store.anomalies.get("T1", after.id)
    assert posted is not None and posted.delivery == "posted"  # the pattern alerts again
