"""Governance through the running service: signed Slack requests, the fake Slack server, real
Redis (panic keys under this test's prefix), moto's SQS. A new account in strict mode posts the
fast-path launch from SQS at once and holds a statistical finding back; /dd0c pause silences even
the fast path (App Home shows the banner); /dd0c resume posts only a summary; only admins or the
installer may pause; /dd0c mode only tightens; /dd0c sensitivity is validated and audited."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, build_app
from bot.services import SlackServices
from engine import BaselineKey
from settings import load_settings
from storage import Store
from tests.aws import create_queues, send, sqs_client, unique_name
from tests.bot.test_slack_app import KEY, SECRET, World, eventually, install
from tests.fixtures import load
from tests.governance.records import recorded
from tests.redisdb import isolated_redis, unique_prefix
from tests.slack_fake import FakeSlack
from tests.slack_signing import event_callback, slash_command

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.slow,  # the whole app on moto's SQS, each waits out the consumer's drain
]

ACCOUNT = "111122223333"


class Service:
    """The running service and what the test needs to reach it."""

    def __init__(self, world: World, queue_url: str, endpoint: str, prefix: str) -> None:
        self.world, self.queue_url, self.endpoint, self.prefix = world, queue_url, endpoint, prefix
        self._keys = 0

    @property
    def store(self) -> Store:
        return self.world.store

    async def command(self, text: str, user: str = "U1") -> list[dict[str, Any]]:
        """Run `/dd0c <text>` as `user`; what came back on its response_url."""
        self._keys += 1
        key = f"cmd{self._keys}"
        body = slash_command(
            text,
            team_id="T1",
            user_id=user,
            channel_id="C1",
            response_url=self.world.slack.response_url(key),
        )
        assert (await self.world.post(body)).status == 200
        await eventually(lambda: bool(self.world.slack.responses(key)), timeout=10)
        return self.world.slack.responses(key)

    def cards(self) -> list[Any]:
        """Alert cards posted so far."""
        calls = self.world.slack.calls_to("chat.postMessage")
        return [c for c in calls if c.body.get("blocks") and "Why this alert" in str(c.body)]

    def channel_texts(self) -> list[str]:
        """The plain texts posted in the alert channel."""
        calls = self.world.slack.calls_to("chat.postMessage")
        return [str(c.body.get("text")) for c in calls if c.body.get("channel") == "C1"]

    async def launch(self, size: str = "p4d.24xlarge") -> str:
        """Send a real CloudTrail RunInstances of `size` through SQS; its event id."""
        record = copy.deepcopy(load("cloudtrail/ec2/run_instances_iam_user_cli.json"))
        record["requestParameters"]["instanceType"] = size
        for item in record["responseElements"]["instancesSet"]["items"]:
            item["instanceType"] = size
        record["recipientAccountId"] = ACCOUNT
        async with sqs_client(aioboto3.Session(), self.endpoint) as sqs:
            body = orjson.dumps(record).decode()
            await send(sqs, self.queue_url, body, ACCOUNT, record["eventID"])
        return str(record["eventID"])


@pytest.fixture
async def service(moto_endpoint: str) -> AsyncIterator[Service]:
    """The whole service (build_app), Slack faked, SQS on moto, panic keys under a prefix."""
    prefix = unique_prefix("govapp")
    async with (
        FakeSlack() as slack,
        sqs_client(aioboto3.Session(), moto_endpoint) as sqs,
        isolated_redis(prefix),
    ):
        urls = await create_queues(sqs, unique_name("gov"), visibility_timeout=5)
        settings = load_settings(
            {
                "DD0C_DEV": "1",
                "SQS_QUEUE_URL": urls.queue_url,
                "SQS_DLQ_URL": urls.dlq_url,
                "AWS_ENDPOINT_URL": moto_endpoint,
                "AWS_REGION": "us-east-1",
                "SLACK_CLIENT_ID": "111.222",
                "SLACK_CLIENT_SECRET": "client-secret-for-tests",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.base_url,
                "DD0C_TOKEN_KEY": KEY,
                "DD0C_VISIBILITY_TIMEOUT": "5",
                "DD0C_REDIS_PREFIX": prefix,
            }
        )
        app = build_app(settings)
        async with TestClient(TestServer(app)) as http:
            services = app[SERVICES]
            world = World(slack, services.store, SlackServices(services.store), http)
            await install(world)
            yield Service(world, urls.queue_url, moto_endpoint, prefix)
            services.stop_ingest()


async def test_strict_posts_the_fast_path_and_holds_the_statistical_finding(
    service: Service,
) -> None:
    await service.store.accounts.attach("T1", ACCOUNT, datetime.now(UTC))
    fast = await service.launch()
    await eventually(lambda: bool(service.cards()), timeout=30)
    assert fast in str(service.cards()[-1].body["blocks"])

    held = await recorded(service.store, "T1", datetime.now(UTC), account=ACCOUNT)

    async def settled() -> bool:
        found = await service.store.anomalies.get("T1", held.id)
        return found is not None and found.alert_state != "pending"

    await eventually(settled, timeout=10)
    found = await service.store.anomalies.get("T1", held.id)
    assert found is not None
    assert (found.severity, found.alert_state, found.delivery) == (
        "warning",
        "suppressed",
        "held-back",
    )
    assert "suppressed by strict mode" in (found.alert_reason or "")
    assert len(service.cards()) == 1  # the statistical one was not posted
    posted = await service.store.anomalies.get("T1", fast)
    assert posted is not None and posted.delivery == "posted" and posted.alert_state == "sent"
    entries = await service.store.audit.recent("T1", kind="governance.held-back")
    assert [e.message for e in entries] == [found.alert_reason]


async def test_pause_silences_everything_and_resume_posts_only_a_summary(
    service: Service,
) -> None:
    await service.store.accounts.attach("T1", ACCOUNT, datetime.now(UTC))
    refused = await service.command("pause", user="U2")  # neither admin nor installer
    assert "Only a workspace admin" in refused[-1]["text"]
    service.world.slack.set_user("U3", is_admin=True)
    paused = await service.command("pause", user="U3")
    assert paused[-1]["text"].startswith("Paused.")
    assert any("Alerting paused by <@U3>" in t for t in service.channel_texts())
    assert "already paused" in (await service.command("pause"))[-1]["text"]

    event_id = await service.launch()  # a fast-path alert: not even that is posted

    async def decided() -> bool:
        found = await service.store.anomalies.get("T1", event_id)
        return found is not None and found.delivery is not None

    await eventually(decided, timeout=30)
    found = await service.store.anomalies.get("T1", event_id)
    assert found is not None and (found.delivery, found.alert_state) == ("paused", "suppressed")
    assert found.severity in ("warning", "critical")  # the verdict is kept as scored
    assert service.cards() == []

    opened = event_callback({"type": "app_home_opened", "user": "U1", "tab": "home"}, team_id="T1")
    assert (await service.world.post(opened)).status == 200
    await eventually(lambda: bool(service.world.slack.calls_to("views.publish")))
    home = str(service.world.slack.last("views.publish").body["view"])
    assert "Alerting paused" in home

    resumed = await service.command("resume", user="U1")  # the installer
    assert resumed[-1]["text"].startswith("Resumed.")
    summary = [t for t in service.channel_texts() if "Alerting resumed" in t]
    assert summary == [
        ":arrow_forward: Alerting resumed by <@U1>. While paused, 1 alerts were not sent "
        f"(1 {found.severity}); they are not posted now: `/dd0c anomalies all since 7d` lists them."
    ]
    assert service.cards() == []  # nothing delivered retroactively
    assert "not paused" in (await service.command("resume"))[-1]["text"]


async def test_the_operator_key_pauses_every_workspace(service: Service) -> None:
    await service.store.accounts.attach("T1", ACCOUNT, datetime.now(UTC))
    async with isolated_redis(service.prefix) as redis:
        await redis.set(f"{service.prefix}panic", "1")
        event_id = await service.launch()

        async def decided() -> bool:
            found = await service.store.anomalies.get("T1", event_id)
            return found is not None and found.delivery is not None

        await eventually(decided, timeout=30)
    found = await service.store.anomalies.get("T1", event_id)
    assert found is not None and found.delivery == "paused"
    assert "for everyone" in (found.alert_reason or "")


async def test_mode_only_tightens_and_sensitivity_is_validated(service: Service) -> None:
    await service.store.accounts.attach("T1", ACCOUNT, datetime.now(UTC) - timedelta(days=1))
    loosen = await service.command(f"mode {ACCOUNT} audit")
    assert "only make its mode more restrictive" in loosen[-1]["text"]
    assert "Usage" in (await service.command("mode 123 audit"))[-1]["text"]
    assert (
        "Only a workspace admin"
        in (await service.command(f"mode {ACCOUNT} strict", "U9"))[-1]["text"]
    )
    tighten = await service.command(f"mode {ACCOUNT} strict")
    assert tighten[-1]["text"] == f"Account {ACCOUNT} set to strict mode by U1"

    bad = await service.command(f"sensitivity {ACCOUNT} ec2 ec2:instance extreme")
    assert "Usage" in bad[-1]["text"]
    wrong_type = await service.command(f"sensitivity {ACCOUNT} rds ec2:instance low")
    assert "resource type must be one of rds's" in wrong_type[-1]["text"]
    assert (
        "not connected"
        in (await service.command("sensitivity 999999999999 ec2 ec2:instance low"))[-1]["text"]
    )
    ok = await service.command(f"sensitivity {ACCOUNT} ec2 ec2:instance low")
    assert ok[-1]["text"] == f"Sensitivity of {ACCOUNT} ec2 ec2:instance set to low by U1"
    baseline = await service.store.baselines.get("T1", BaselineKey(ACCOUNT, "ec2", "ec2:instance"))
    assert baseline is not None and baseline.sensitivity == "low"
    (entry,) = await service.store.audit.recent("T1", kind="baseline.sensitivity")
    assert entry.message == ok[-1]["text"]
