"""A flagged rule floods an account, end to end: CloudTrail records through the pipeline (the
repository's flags.json, real detectors), governance with the breaker on the real Redis, the
notifier posting to the fake Slack Web API over HTTP. The breaker trips, the rule's alerts are
kept instead of posted, nothing is lost, the safety net still posts, replay posts the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import orjson
import pytest
import redis.asyncio as aioredis

from bot.notifier import Notifier
from flags import Switches
from flags.breaker import Breaker
from governance import Governance, PanicSwitch, Policy
from governance.replay import replay
from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from pricing import load_catalogue
from storage import Store
from telemetry.metrics import Metrics
from tests.bot.test_notifier import LEASE, POST, TOKENS, FakeRecipients, card
from tests.governance.test_breaker import Clock
from tests.redisdb import isolated_redis, unique_prefix
from tests.slack_fake import FakeSlack
from tests.stores import NOW, fresh_store
from tests.trails import ACCOUNT, run_instances

CATALOGUE = load_catalogue()
REGIONS = ("us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1",
           "sa-east-1", "ca-central-1", "eu-west-2", "ap-south-1", "us-east-2")  # fmt: skip


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_workspace(TOKENS["T1"], team_id="T1", bot_user_id="UBOT1")
        yield fake


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    store = await fresh_store()
    await store.tenants.ensure("T1", NOW - timedelta(days=30))
    await store.accounts.attach("T1", ACCOUNT, NOW - timedelta(days=30))
    yield store
    await store.close()


@pytest.fixture
async def redis() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    prefix = unique_prefix("flood")
    async with isolated_redis(prefix) as client:
        yield client, prefix


async def test_a_flood_is_kept_the_safety_net_posts_and_replay_posts_the_rest(
    store: Store, slack: FakeSlack, redis: tuple[aioredis.Redis, str]
) -> None:
    client, prefix = redis
    clock = Clock(NOW - timedelta(days=20))
    metrics = Metrics(clock, lambda line: None)
    breaker = Breaker(client, prefix, clock)
    switches = Switches(breaker=breaker.open_flags)  # the repository's flags.json
    switches.start()
    policy = Policy(governance_mode="audit")
    gov = Governance(store, PanicSwitch(client, prefix), policy, clock, breaker=breaker,
                     switches=switches, metrics=metrics)  # fmt: skip
    pipeline = Pipeline(store, CATALOGUE, clock=clock, switches=switches, metrics=metrics)
    notifier = Notifier(store, FakeRecipients(), api_url=slack.base_url, clock=clock, lease=LEASE,
                        timeout=2.0, render=card, gate=gov, metrics=metrics)  # fmt: skip
    n = 0

    async def send(record: dict[str, object]) -> None:
        nonlocal n
        n += 1
        body = orjson.dumps(record).decode()
        result = await pipeline.handle(Message(f"m{n}", f"r{n}", body, ACCOUNT))
        assert result.outcome is Outcome.DONE

    async def deliver_all() -> None:
        while await notifier.deliver_one():
            pass

    try:
        for i in range(30):  # 15 days of the usual m5.large launches in us-east-1
            clock.now = NOW - timedelta(days=20) + timedelta(hours=12 * i)
            await send(run_instances(f"h-{i}", clock.now, [f"i-h{i}"], "m5.large"))
        flood = []
        for minute, region in enumerate(REGIONS):  # a rule gone wrong: 10 alerts in 10 minutes
            clock.now = NOW + timedelta(minutes=minute)
            flood.append(f"f-{minute}")
            await send(run_instances(flood[-1], clock.now, [f"i-f{minute}"], region=region))
        await deliver_all()
        assert len(slack.calls_to(POST)) == 3  # the first 3 posted, then the breaker opened
        assert "detector.newRegion" in await breaker.open_flags("T1", ACCOUNT)

        clock.now = NOW + timedelta(minutes=11)
        await send(run_instances("after", clock.now, ["i-after"], region="eu-north-1"))
        await send(run_instances("net", clock.now, ["i-n1", "i-n2"], "p4d.24xlarge"))  # $44/h
        await deliver_all()
        assert await store.anomalies.get("T1", "after") is None  # the rule is off here now
        net = await store.anomalies.get("T1", "net")
        assert net is not None and net.severity == "critical" and net.alert_state == "sent"
        assert len(slack.calls_to(POST)) == 4  # the safety net posted

        states = [await store.anomalies.get("T1", f) for f in flood]  # nothing lost
        assert all(a is not None for a in states)
        sent = [a for a in states if a and a.alert_state == "sent"]
        kept = [a for a in states if a and a.delivery == "kept"]
        assert (len(sent), len(kept)) == (3, 7)
        assert all(a.alert_state == "suppressed" and "circuit breaker" in (a.alert_reason or "")
                   for a in kept)  # fmt: skip
        (governed,) = [d for d in metrics.flush() if d["Service"] == "governance"]
        assert governed["AlertsKept"] == 7 and float(str(governed["BreakerTrips"])) >= 1

        done = await replay(store, breaker, "T1", ACCOUNT, action="deliver", by="ops",
                            now=clock.now)  # fmt: skip
        assert len(done.delivered) == 7 and await breaker.open_flags("T1", ACCOUNT) == frozenset()
        await deliver_all()
        assert len(slack.calls_to(POST)) == 11
        for anomaly_id in flood:
            again = await store.anomalies.get("T1", anomaly_id)
            assert again is not None and again.alert_state == "sent"
    finally:
        switches.shutdown()
