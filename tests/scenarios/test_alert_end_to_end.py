"""End to end: a real CloudTrail RunInstances record sent to SQS (moto's server) becomes an alert
card in Slack (the fake Web API server) with the right actor, cost and CLI; Snooze is clicked;
the message is updated and the anomaly snoozed."""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aioboto3
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, build_app
from bot.services import SlackServices
from pricing import load_catalogue
from settings import load_settings
from tests.aws import create_queues, send, sqs_client, unique_name
from tests.bot.test_slack_app import KEY, SECRET, World, eventually, install
from tests.fixtures import load
from tests.redisdb import isolated_redis, unique_prefix
from tests.slack_fake import FakeSlack
from tests.slack_signing import block_action

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.slow,  # the whole app on moto's SQS, each waits out the consumer's drain
]


@pytest.fixture
async def service(moto_endpoint: str) -> AsyncIterator[tuple[World, str]]:
    """The whole service (build_app) on a test server, with SQS on moto and Slack faked."""
    prefix = unique_prefix("e2e")  # the scheduler's and panic keys, removed afterwards
    async with (
        FakeSlack() as slack,
        sqs_client(aioboto3.Session(), moto_endpoint) as sqs,
        isolated_redis(prefix),
    ):
        urls = await create_queues(sqs, unique_name("e2e"), visibility_timeout=5)
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
            yield World(slack, services.store, SlackServices(services.store), http), urls.queue_url
            services.stop_ingest()


async def test_a_real_launch_becomes_a_card_and_snooze_updates_it(
    service: tuple[World, str], moto_endpoint: str
) -> None:
    world, queue_url = service
    token = await install(world)
    record = copy.deepcopy(load("cloudtrail/ec2/run_instances_iam_user_cli.json"))
    record["requestParameters"]["instanceType"] = "p4d.24xlarge"
    for item in record["responseElements"]["instancesSet"]["items"]:
        item["instanceType"] = "p4d.24xlarge"
    account = record["recipientAccountId"]
    await world.store.accounts.attach("T1", account, datetime.now(UTC))
    sent_at = time.monotonic()
    async with sqs_client(aioboto3.Session(), moto_endpoint) as sqs:
        await send(sqs, queue_url, orjson.dumps(record).decode(), account, record["eventID"])

    def posted() -> list[Any]:
        return [c for c in world.slack.calls_to("chat.postMessage") if c.body.get("blocks")]

    await eventually(lambda: bool(posted()), timeout=30)
    latency = time.monotonic() - sent_at
    card = posted()[-1]
    blocks = str(card.body["blocks"])
    unit = load_catalogue().ec2("p4d.24xlarge", "us-east-1").usd
    assert unit is not None
    assert card.body["channel"] == "C1" and card.token == token
    assert "testcloudtrail@elastic.co" in blocks  # the IAM user who launched it
    assert f"${unit:,.2f}/h" in blocks
    assert "aws ec2 stop-instances --instance-ids i-0f2f135de18b555e3 --region us-east-1" in blocks
    assert latency < 30

    anomaly_id = record["eventID"]

    async def settled() -> bool:  # the card is out; its alert state is written right after
        found = await world.store.anomalies.get("T1", anomaly_id)
        return found is not None and found.alert_state == "sent"

    await eventually(settled)
    stored = await world.store.anomalies.get("T1", anomaly_id)
    assert stored is not None and stored.alert_state == "sent" and stored.slack is not None
    click = block_action(
        "snooze_1h",
        anomaly_id,
        team_id="T1",
        user_id="U07QWERTY1",
        channel_id=stored.slack.channel,
        message_ts=stored.slack.ts,
        response_url=world.slack.response_url("e2e"),
    )
    assert (await world.post(click)).status == 200
    await eventually(lambda: bool(world.slack.calls_to("chat.update")))
    update = world.slack.last("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (stored.slack.channel, stored.slack.ts)
    assert "Snoozed for 1 h" in str(update.body["blocks"])
    snoozed = await world.store.anomalies.get("T1", anomaly_id)
    assert snoozed is not None and snoozed.status == "snoozed"
