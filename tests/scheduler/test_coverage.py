"""The coverage job against moto's server (EventBridge and EC2 per region, over real HTTP), the
fake Slack over HTTP and the real Redis, on a fake clock.

A connected account has dd0c's forwarding rules in two regions and an instance running in a
third region without them: one Slack message names that region and the fix, `/dd0c status` and
App Home show it until it closes, a second run says nothing more, and once the rules are there
the next run says "closed" once and the gap disappears.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import SlackConfig, build, routes
from bot.blocks.coverage import SYNC_FUNCTION
from bot.poster import ChannelPoster
from bot.services import SlackServices
from onboarding.coverage import (
    CoverageReport,
    RegionCoverage,
    check_account,
    check_connected_account,
    expected_rules,
)
from onboarding.permissions import FEATURE_ACTIONS
from scheduler import Job, JobRunner
from scheduler.coverage import Check, CoverageJob, reconcile
from scheduler.jobs import Jobs
from storage import Store, memory_store
from storage.accounts import Account
from storage.crypto import TokenCipher
from tests.bot.test_slack_app import KEY, SECRET, World, _command, eventually, install
from tests.scheduler.conftest import Clock
from tests.slack_fake import FakeSlack
from tests.slack_signing import event_callback

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
BLIND = "ap-southeast-2"
STACK_ID = "arn:aws:cloudformation:eu-west-1:{}:stack/dd0c-cost/1"
TEMPLATE_URL = "https://dd0c-cf-templates.s3.amazonaws.com/dd0c-cost-readonly/abc/t.yaml"
BUS_ARN = "arn:aws:events:us-east-1:111122223333:event-bus/dd0c-cost-bus"


@dataclass
class Rig:
    world: World
    clock: Clock
    job: Job
    runner: JobRunner
    account: Account
    endpoint: str
    check: Check | None = None  # replaces the assumed-role check when set

    @property
    def store(self) -> Store:
        return self.world.store

    def posts(self) -> list[Any]:
        """The coverage job's messages (installing posts a welcome too)."""
        calls = self.world.slack.calls_to("chat.postMessage")
        return [c for c in calls if "Blind spot" in str(c.body.get("text"))]

    def updates(self) -> list[Any]:
        """The job's "update the stack" messages."""
        calls = self.world.slack.calls_to("chat.postMessage")
        return [c for c in calls if "Update the dd0c-cost stack" in str(c.body.get("text"))]

    def client(self, service: str, region: str) -> Any:
        """A client acting in the account (moto: any role's credentials act in its account)."""
        return aioboto3.Session().client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=self.endpoint
        )

    async def credentials(self) -> dict[str, str]:
        async with self.client("sts", "us-east-1") as sts:
            answer = await sts.assume_role(
                RoleArn=self.account.role_arn, RoleSessionName="setup", ExternalId="setup"
            )
        return dict(answer["Credentials"])


async def _put_rules(rig: Rig, region: str) -> None:
    creds = await rig.credentials()
    session = aioboto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    async with session.client("events", region_name=region, endpoint_url=rig.endpoint) as events:
        for name in sorted(expected_rules()):
            pattern = {"source": ["aws." + name.rsplit("-", 1)[1]]}
            await events.put_rule(Name=name, EventPattern=json.dumps(pattern))
            await events.put_targets(Rule=name, Targets=[{"Id": "dd0c-cost-bus", "Arn": BUS_ARN}])


async def _run_instance(rig: Rig, region: str) -> None:
    creds = await rig.credentials()
    session = aioboto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    async with session.client("ec2", region_name=region, endpoint_url=rig.endpoint) as ec2:
        ami = (await ec2.describe_images(Owners=["amazon"]))["Images"][0]["ImageId"]
        await ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro")


@pytest.fixture
async def rig(
    redis: aioredis.Redis, prefix: str, moto_endpoint: str, clock: Clock
) -> AsyncIterator[Rig]:
    """A workspace with one connected account in a fresh moto account; the coverage job."""
    account_id = str(random.randrange(10**11, 10**12))
    async with FakeSlack() as slack:
        store = memory_store(TokenCipher([KEY]))
        await store.start(clock())
        services = SlackServices(store, clock=clock)
        bolt = build(SlackConfig("111.222", "client-secret", SECRET, slack.base_url), services)
        app = web.Application()
        app.add_routes(routes(bolt))
        async with TestClient(TestServer(app)) as http:
            world = World(slack, store, services, http)
            await install(world)
            external_id = await store.tenants.ensure_external_id("T1", clock())
            assert external_id
            account = await store.accounts.connect(
                "T1",
                account_id,
                f"arn:aws:iam::{account_id}:role/dd0c-cost-readonly",
                clock(),
                by="test",
                stack_id=STACK_ID.format(account_id),
                stack_region="eu-west-1",
            )
            assert account is not None and account.role_arn

            async def check(checked: Account) -> CoverageReport | None:
                assert checked.role_arn
                return await check_connected_account(
                    checked.id,
                    checked.role_arn,
                    external_id,
                    endpoint_url=moto_endpoint,
                    regions=REGIONS,
                )

            rig_ref: list[Rig] = []

            async def current(checked: Account) -> CoverageReport | None:
                override = rig_ref[0].check
                return await (override or check)(checked)

            coverage = CoverageJob(
                store, ChannelPoster(services, slack.base_url), clock, current, TEMPLATE_URL
            )
            jobs = Jobs(store, None, None, clock, None, coverage=coverage.run)  # type: ignore[arg-type]
            [job] = [j for j in jobs.build() if j.name == "coverage"]
            made = Rig(world, clock, job, JobRunner(redis, prefix, clock), account, moto_endpoint)
            rig_ref.append(made)
            yield made
        await store.close()


async def _next_day(rig: Rig) -> None:
    rig.clock.now += timedelta(days=1)
    assert await rig.runner.run(rig.job) == "done"


async def _home(rig: Rig) -> str:
    before = len(rig.world.slack.calls_to("views.publish"))
    body = event_callback({"type": "app_home_opened", "user": "U1", "tab": "home"}, team_id="T1")
    assert (await rig.world.post(body)).status == 200
    await eventually(lambda: len(rig.world.slack.calls_to("views.publish")) > before)
    return str(rig.world.slack.last("views.publish").body["view"]["blocks"])


@pytest.mark.slow
async def test_a_running_instance_in_a_region_without_rules_is_one_message_until_fixed(
    rig: Rig,
) -> None:
    await _put_rules(rig, "us-east-1")
    await _put_rules(rig, "eu-west-1")
    await _run_instance(rig, BLIND)

    await _next_day(rig)

    [alert] = rig.posts()
    assert alert.body["channel"] == "C1"
    text = str(alert.body["blocks"])
    assert f"Blind spot in AWS account {rig.account.id}" in text
    assert f"`{BLIND}`" in text and "1 running instance" in text
    assert "us-east-1" not in text and "eu-west-1`" not in text
    sync = f"aws lambda invoke --function-name {SYNC_FUNCTION} --region eu-west-1 /dev/stdout"
    assert sync in text
    assert f"--stack-name {STACK_ID.format(rig.account.id)} --template-url {TEMPLATE_URL}" in text

    [status] = await _command(rig.world, "status", "s1")
    assert "Blind spots" in str(status["blocks"]) and BLIND in str(status["blocks"])
    assert BLIND in await _home(rig)

    await _next_day(rig)
    assert len(rig.posts()) == 1  # told once

    await _put_rules(rig, BLIND)  # the customer ran the fix
    await _next_day(rig)

    [_, closed] = rig.posts()
    assert "Blind spot closed" in closed.body["text"] and BLIND in closed.body["text"]
    coverage = await rig.store.coverage.get("T1", rig.account.id)
    assert coverage is not None and coverage.gaps == [] and coverage.regions_checked == 3
    [status] = await _command(rig.world, "status", "s2")
    assert "Blind spots" not in str(status["blocks"])
    assert "Blind spots" not in await _home(rig)

    await _next_day(rig)
    assert len(rig.posts()) == 2  # closed is said once


class _Denied:
    status_code = 400


def _deny_list_rules(**_: Any) -> tuple[_Denied, dict[str, Any]]:
    """What EventBridge answers a role without events:ListRules (botocore raises it as usual)."""
    message = "User: arn:aws:sts::1:assumed-role/dd0c-cost-readonly/x is not authorized to "
    return _Denied(), {
        "Error": {
            "Code": "AccessDeniedException",
            "Message": message + "perform: events:ListRules",
        },
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }


def _old_role_check(rig: Rig) -> Check:
    """The real check with the assumed role of a stack that predates it (ListRules denied)."""

    async def check(account: Account) -> CoverageReport | None:
        creds = await rig.credentials()

        def session() -> aioboto3.Session:
            made = aioboto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
            made.events.register("before-call.events.ListRules", _deny_list_rules)
            return made

        return await check_account(session, account.id, regions=REGIONS, endpoint_url=rig.endpoint)

    return check


@pytest.mark.slow
async def test_a_role_that_cannot_list_rules_asks_once_for_the_stack_update(rig: Rig) -> None:
    rig.check = _old_role_check(rig)
    await _next_day(rig)

    [update] = rig.updates()
    text = str(update.body["blocks"])
    assert "events:ListRules" in text
    assert f"--stack-name {STACK_ID.format(rig.account.id)} --template-url {TEMPLATE_URL}" in text
    assert rig.posts() == []  # unknown is not a blind spot, and nothing is closed
    [status] = await _command(rig.world, "status", "s1")
    assert "coverage unknown" in str(status["blocks"])

    await _next_day(rig)
    assert len(rig.updates()) == 1  # said once

    for region in REGIONS:  # the customer updated the stack: rules everywhere, role can read
        await _put_rules(rig, region)
    rig.check = None
    await _next_day(rig)
    coverage = await rig.store.coverage.get("T1", rig.account.id)
    assert coverage is not None and coverage.role_outdated_since is None and coverage.gaps == []
    assert rig.posts() == [] and len(rig.updates()) == 1
    [status] = await _command(rig.world, "status", "s2")
    assert "coverage unknown" not in str(status["blocks"])


# ------------------------------------------------------------------- the check and its calls


@pytest.mark.slow
async def test_every_enabled_region_is_checked_with_the_declared_actions_only(
    moto_endpoint: str,
) -> None:
    account_id = str(random.randrange(10**11, 10**12))
    async with aioboto3.Session().client(
        "sts", region_name="us-east-1", endpoint_url=moto_endpoint
    ) as sts:
        creds = (
            await sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/dd0c-cost-readonly",
                RoleSessionName="coverage",
            )
        )["Credentials"]
    called: list[str] = []

    def session() -> aioboto3.Session:
        made = aioboto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        made.events.register(
            "before-call.*.*",
            lambda model, **_: called.append(f"{model.service_model.signing_name}:{model.name}"),
        )
        return made

    report = await check_account(session, account_id, endpoint_url=moto_endpoint, concurrency=8)

    async with session().client("ec2", region_name="us-east-1", endpoint_url=moto_endpoint) as ec2:
        listed = (await ec2.describe_regions())["Regions"]
    enabled = sorted(r["RegionName"] for r in listed if r["OptInStatus"] != "not-opted-in")
    assert [r.region for r in report.gaps] == enabled  # a fresh account: no rules anywhere
    assert report.failures == {}
    assert all(set(r.missing_rules) == expected_rules() for r in report.gaps)
    assert set(called) <= FEATURE_ACTIONS["coverage"], set(called) - FEATURE_ACTIONS["coverage"]
    assert {"ec2:DescribeRegions", "events:ListRules", "ec2:DescribeInstances"} <= set(called)


# ------------------------------------------------------------------ reconciling, pure logic

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def _report(gaps: dict[str, int], failures: dict[str, str] | None = None) -> CoverageReport:
    regions = [RegionCoverage(r, ("dd0c-cost-forward-ec2",), n) for r, n in gaps.items()]
    regions.append(RegionCoverage("us-east-1", ()))
    return CoverageReport("123456789012", regions, failures or {})


def test_reconcile_keeps_the_opening_time_and_announces_only_new_gaps() -> None:
    first = reconcile(None, _report({"eu-south-2": 3}), "T1", NOW)
    assert [g.region for g in first.to_announce] == ["eu-south-2"]
    announced = first.coverage.model_copy(
        update={"gaps": [g.model_copy(update={"notified_at": NOW}) for g in first.coverage.gaps]}
    )
    later = NOW + timedelta(days=1)
    second = reconcile(announced, _report({"eu-south-2": 5, "me-south-1": 0}), "T1", later)
    assert [g.region for g in second.to_announce] == ["me-south-1"]
    [kept] = [g for g in second.coverage.gaps if g.region == "eu-south-2"]
    assert (kept.opened_at, kept.notified_at, kept.running_instances) == (NOW, NOW, 5)
    assert second.closed == []


def test_reconcile_never_closes_what_it_could_not_read() -> None:
    gap = reconcile(None, _report({"eu-south-2": 1}), "T1", NOW).coverage
    notified = gap.model_copy(
        update={"gaps": [g.model_copy(update={"notified_at": NOW}) for g in gap.gaps]}
    )
    failed = reconcile(notified, _report({}, {"eu-south-2": "AccessDenied"}), "T1", NOW)
    assert [g.region for g in failed.coverage.gaps] == ["eu-south-2"] and failed.closed == []
    no_list = reconcile(notified, CoverageReport("123456789012", [], {"us-east-1": "x"}), "T1", NOW)
    assert [g.region for g in no_list.coverage.gaps] == ["eu-south-2"] and no_list.closed == []
    fixed = reconcile(notified, _report({}), "T1", NOW)
    assert fixed.coverage.gaps == [] and fixed.closed == ["eu-south-2"]
    never_told = reconcile(gap, _report({}), "T1", NOW)
    assert never_told.closed == []  # a gap nobody was told about closes silently


def test_an_outdated_role_is_announced_once_and_keeps_the_known_gaps() -> None:
    gap = reconcile(None, _report({"eu-south-2": 1}), "T1", NOW).coverage
    denied = CoverageReport(
        "123456789012",
        [],
        {"us-east-1": "ListRules failed with AccessDeniedException"},
        frozenset({"us-east-1"}),
    )
    assert denied.role_outdated
    first = reconcile(gap, denied, "T1", NOW)
    assert first.announce_outdated and first.coverage.role_outdated_since == NOW
    assert [g.region for g in first.coverage.gaps] == ["eu-south-2"] and first.closed == []
    told = first.coverage.model_copy(update={"role_outdated_notified_at": NOW})
    again = reconcile(told, denied, "T1", NOW + timedelta(days=1))
    assert not again.announce_outdated and again.coverage.role_outdated_since == NOW
    updated = reconcile(told, _report({}), "T1", NOW + timedelta(days=2))
    assert updated.coverage.role_outdated_since is None and not updated.announce_outdated
    partly = CoverageReport("1", [RegionCoverage("us-east-1", ())], {}, frozenset({"eu-west-1"}))
    assert not partly.role_outdated  # one region denied (an SCP) is that region's failure
