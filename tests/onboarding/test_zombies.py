"""The zombie scan against moto's server, over real HTTP and botocore, and its Slack report.

Each test assumes a role in an account of its own (moto's STS hands out credentials that act
in the target account), so tests never see each other's resources.
"""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
import pytest
from botocore.exceptions import ClientError

from bot.blocks.zombies import zombie_message
from onboarding import zombies as z
from onboarding._aws import RetryPolicy, collect, with_backoff
from onboarding.permissions import FEATURE_ACTIONS
from onboarding.zombies import ScanReport, Zombie, scan_account, stopped_at
from pricing import Quote, load_catalogue
from tests.bot.blocks.helpers import NASTY, all_text, check_message

REGIONS = ("us-east-1", "eu-west-1")
HOURS = 730
FAST = RetryPolicy(max_attempts=2, backoff_tries=1, base_delay=0.01, max_delay=0.02)
CATALOGUE = load_catalogue()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _account_id() -> str:
    return str(random.randrange(10**11, 10**12))


@dataclass
class Account:
    """A fresh moto account reached through an assumed role, like the product reaches one."""

    account_id: str
    endpoint: str
    credentials: dict[str, str]
    operations: list[str] = field(default_factory=list)

    def session(self) -> aioboto3.Session:
        """A session with the role's credentials that records every operation it calls."""
        session = aioboto3.Session(
            aws_access_key_id=self.credentials["AccessKeyId"],
            aws_secret_access_key=self.credentials["SecretAccessKey"],
            aws_session_token=self.credentials["SessionToken"],
        )
        session.events.register("before-call.*.*", self._record)
        return session

    def _record(self, model: Any, **_: Any) -> None:
        self.operations.append(f"{model.service_model.signing_name}:{model.name}")

    def client(self, service: str, region: str) -> Any:
        """A client for setting things up (not recorded)."""
        return aioboto3.Session(
            aws_access_key_id=self.credentials["AccessKeyId"],
            aws_secret_access_key=self.credentials["SecretAccessKey"],
            aws_session_token=self.credentials["SessionToken"],
        ).client(service, region_name=region, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    async def scan(self, **options: Any) -> ScanReport:
        """scan_account over moto with this account's role."""
        options.setdefault("now", datetime.now(UTC) + timedelta(days=120))
        options.setdefault("endpoint_url", self.endpoint)
        options.setdefault("retry", FAST)
        regions = options.pop("regions", REGIONS)
        catalogue = options.pop("catalogue", CATALOGUE)
        return await scan_account(self.session, self.account_id, regions, catalogue, **options)


@pytest.fixture
async def account(moto_endpoint: str) -> AsyncIterator[Account]:
    """A new account; its credentials come from sts:AssumeRole on moto."""
    account_id = _account_id()
    role = f"arn:aws:iam::{account_id}:role/dd0c-cost-readonly"
    async with aioboto3.Session().client(
        "sts", region_name="us-east-1", endpoint_url=moto_endpoint
    ) as sts:
        answer = await sts.assume_role(
            RoleArn=role, RoleSessionName="zombies", ExternalId="dd0c-test"
        )
    yield Account(account_id, moto_endpoint, answer["Credentials"])


# --- building a messy account ---------------------------------------------------------------


@dataclass
class Planted:
    """The resources one region was given, by role in the test."""

    region: str
    gp3: str = ""
    io2: str = ""
    attached: str = ""
    stopped: str = ""
    stopped_volumes: list[dict[str, Any]] = field(default_factory=list)
    free_eip: str = ""
    busy_eip: str = ""
    stopped_eip: str = ""
    idle_alb: str = ""
    busy_alb: str = ""
    bare_nlb: str = ""
    manual_snapshot: str = ""
    running: str = ""


async def _instance(ec2: Any, ami: str) -> str:
    answer = await ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    return str(answer["Instances"][0]["InstanceId"])


async def _plant_ec2(ec2: Any, planted: Planted) -> None:
    region = planted.region
    zone = f"{region}a"
    ami = (await ec2.describe_images(Owners=["amazon"]))["Images"][0]["ImageId"]
    gp3 = await ec2.create_volume(AvailabilityZone=zone, Size=100, VolumeType="gp3")
    io2 = await ec2.create_volume(AvailabilityZone=zone, Size=50, VolumeType="io2", Iops=1000)
    planted.gp3, planted.io2 = gp3["VolumeId"], io2["VolumeId"]
    running = await _instance(ec2, ami)
    extra = await ec2.create_volume(AvailabilityZone=zone, Size=20, VolumeType="gp3")
    await ec2.attach_volume(VolumeId=extra["VolumeId"], InstanceId=running, Device="/dev/sdf")
    planted.attached = extra["VolumeId"]
    stopped = await _instance(ec2, ami)
    data = await ec2.create_volume(AvailabilityZone=zone, Size=30, VolumeType="gp3")
    await ec2.attach_volume(VolumeId=data["VolumeId"], InstanceId=stopped, Device="/dev/sdg")
    free = await ec2.allocate_address(Domain="vpc")
    busy = await ec2.allocate_address(Domain="vpc")
    on_stopped = await ec2.allocate_address(Domain="vpc")
    await ec2.associate_address(AllocationId=busy["AllocationId"], InstanceId=running)
    await ec2.associate_address(AllocationId=on_stopped["AllocationId"], InstanceId=stopped)
    await ec2.stop_instances(InstanceIds=[stopped])
    planted.stopped = stopped
    volumes = await ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [stopped]}]
    )
    planted.stopped_volumes = volumes["Volumes"]
    planted.free_eip, planted.busy_eip = free["AllocationId"], busy["AllocationId"]
    planted.stopped_eip = on_stopped["AllocationId"]
    await _plant_snapshots(ec2, planted)
    planted.running = running


async def _plant_snapshots(ec2: Any, planted: Planted) -> None:
    manual = await ec2.create_snapshot(VolumeId=planted.gp3, Description="before the migration")
    planted.manual_snapshot = manual["SnapshotId"]
    backup = "This snapshot is created by the AWS Backup service."
    await ec2.create_snapshot(VolumeId=planted.gp3, Description=backup)
    dlm = [{"Key": "aws:dlm:lifecycle-policy-id", "Value": "policy-0123"}]
    await ec2.create_snapshot(
        VolumeId=planted.io2,
        Description="nightly",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": dlm}],
    )


async def _plant_load_balancers(ec2: Any, elbv2: Any, planted: Planted) -> None:
    vpc = (await ec2.describe_vpcs())["Vpcs"][0]["VpcId"]
    subnets = await ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    ids = [s["SubnetId"] for s in subnets["Subnets"]][:2]
    for name in ("idle", "busy"):
        lb = await elbv2.create_load_balancer(Name=f"{name}-alb", Subnets=ids)
        arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        group = await elbv2.create_target_group(
            Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc
        )
        group_arn = group["TargetGroups"][0]["TargetGroupArn"]
        forward = [{"Type": "forward", "TargetGroupArn": group_arn}]
        await elbv2.create_listener(
            LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=forward
        )
        if name == "busy":
            # moto reports a registered running instance as "healthy"
            await elbv2.register_targets(
                TargetGroupArn=group_arn, Targets=[{"Id": planted.running}]
            )
            planted.busy_alb = arn
        else:
            planted.idle_alb = arn
    nlb = await elbv2.create_load_balancer(Name="bare-nlb", Subnets=ids, Type="network")
    planted.bare_nlb = nlb["LoadBalancers"][0]["LoadBalancerArn"]


async def plant(account: Account) -> dict[str, Planted]:
    """The same mess in every region of REGIONS."""
    result = {}
    for region in REGIONS:
        planted = Planted(region)
        async with account.client("ec2", region) as ec2, account.client("elbv2", region) as elbv2:
            await _plant_ec2(ec2, planted)
            await _plant_load_balancers(ec2, elbv2, planted)
        result[region] = planted
    return result


# --- expectations from the catalogue ---------------------------------------------------------


def _ebs(volume_type: str, region: str) -> float:
    usd = CATALOGUE.ebs(volume_type, region).usd
    assert usd is not None
    return usd


def _hourly_month(usd: float | None) -> float:
    assert usd is not None
    return usd * HOURS


def _by_id(report: ScanReport) -> dict[str, Zombie]:
    return {zombie.resource_id: zombie for zombie in report.zombies}


def _cli(*args: str, region: str) -> str:
    return " ".join(["aws", *args, "--region", region])


def _assert_region(found: dict[str, Zombie], planted: Planted, account_id: str) -> None:
    r = planted.region
    for zombie in found.values():
        if zombie.region == r:
            assert zombie.account_id == account_id
    gp3, io2 = found[planted.gp3], found[planted.io2]
    assert (gp3.kind, gp3.monthly_usd) == ("ebs-volume", pytest.approx(100 * _ebs("gp3", r)))
    assert gp3.cli == _cli("ec2", "delete-volume", "--volume-id", planted.gp3, region=r)
    assert gp3.destructive
    assert io2.monthly_usd == pytest.approx(50 * _ebs("io2", r))
    assert io2.cost_note is not None and "1000 provisioned IOPS" in io2.cost_note
    stopped = found[planted.stopped]
    expected = sum(v["Size"] * _ebs(v["VolumeType"], r) for v in planted.stopped_volumes)
    assert len(planted.stopped_volumes) == 2
    assert (stopped.kind, stopped.monthly_usd) == ("stopped-instance", pytest.approx(expected))
    for volume in planted.stopped_volumes:
        assert f"create-snapshot --volume-id {volume['VolumeId']}" in stopped.cli
    terminate = _cli("ec2", "terminate-instances", "--instance-ids", planted.stopped, region=r)
    assert stopped.cli.endswith(f" && {terminate}") and stopped.destructive
    ip = _hourly_month(CATALOGUE.public_ipv4(r, idle=True).usd)
    free, on_stopped = found[planted.free_eip], found[planted.stopped_eip]
    assert (free.kind, free.monthly_usd) == ("elastic-ip", pytest.approx(ip))
    assert free.cli == _cli("ec2", "release-address", "--allocation-id", planted.free_eip, region=r)
    assert on_stopped.monthly_usd == pytest.approx(ip)
    assert on_stopped.cli.startswith("aws ec2 disassociate-address --association-id eipassoc-")
    assert planted.stopped in on_stopped.detail
    alb, nlb = found[planted.idle_alb], found[planted.bare_nlb]
    alb_usd = _hourly_month(CATALOGUE.load_balancer("application", r).usd)
    assert (alb.kind, alb.monthly_usd) == ("load-balancer", pytest.approx(alb_usd))
    assert alb.cli == _cli(
        "elbv2", "delete-load-balancer", "--load-balancer-arn", planted.idle_alb, region=r
    )
    assert "1 target group(s), 0 target(s) registered" in alb.detail
    assert nlb.monthly_usd == pytest.approx(
        _hourly_month(CATALOGUE.load_balancer("network", r).usd)
    )
    assert "0 target group(s)" in nlb.detail
    snapshot = found[planted.manual_snapshot]
    quote = z._snapshot_quote(CATALOGUE, r)
    assert snapshot.kind == "snapshot"
    assert snapshot.cli == _cli(
        "ec2", "delete-snapshot", "--snapshot-id", planted.manual_snapshot, region=r
    )
    if quote.usd is None:
        assert snapshot.monthly_usd is None and snapshot.cost_note == quote.reason
    else:
        assert snapshot.monthly_usd == pytest.approx(100 * quote.usd)
    for quiet in (planted.attached, planted.busy_eip, planted.busy_alb, planted.running):
        assert quiet not in found


# --- the scan ---------------------------------------------------------------------------------


@pytest.mark.slow
async def test_scan_finds_every_kind_in_both_regions_priced_from_the_catalogue(
    account: Account,
) -> None:
    planted = await plant(account)
    report = await account.scan()
    assert report.account_id == account.account_id
    assert report.regions_scanned == list(REGIONS)
    assert report.failures == {} and not report.truncated
    found = _by_id(report)
    for region in REGIONS:
        _assert_region(found, planted[region], account.account_id)
    assert len(report.zombies) == 8 * len(REGIONS)
    assert report.total_monthly_usd == pytest.approx(
        sum(x.monthly_usd for x in report.zombies if x.monthly_usd is not None)
    )
    assert report.skipped == {"old snapshots made by AWS Backup or Data Lifecycle Manager": 4}
    costs = [x.monthly_usd for x in report.zombies if x.monthly_usd is not None]
    assert costs == sorted(costs, reverse=True)


@pytest.mark.slow
async def test_recently_stopped_instances_and_new_snapshots_are_not_zombies(
    account: Account,
) -> None:
    planted = await plant(account)
    report = await account.scan(now=datetime.now(UTC) + timedelta(days=1))
    found = _by_id(report)
    for region in REGIONS:
        assert planted[region].stopped not in found
        assert planted[region].manual_snapshot not in found
        # an address on a stopped instance is billed however recently it stopped
        assert planted[region].stopped_eip in found
    assert report.skipped == {}


@pytest.mark.slow
async def test_one_unreachable_region_is_a_failure_and_the_other_still_reports(
    account: Account,
) -> None:
    planted = await plant(account)
    closed = f"http://127.0.0.1:{_closed_port()}"
    report = await account.scan(endpoint_url={"us-east-1": account.endpoint, "eu-west-1": closed})
    assert set(report.failures) == {"eu-west-1"}
    assert "could not reach the AWS endpoint" in report.failures["eu-west-1"]
    assert "other checks were skipped" in report.failures["eu-west-1"]
    assert report.regions_scanned == list(REGIONS)
    assert {x.region for x in report.zombies} == {"us-east-1"}
    _assert_region(_by_id(report), planted["us-east-1"], account.account_id)


class _BrokenIn:
    """The real catalogue, except that EBS lookups in one region raise (a bug of ours)."""

    def __init__(self, region: str) -> None:
        self.region = region

    def ebs(self, volume_type: str, region: str) -> Quote:
        if region == self.region:
            raise RuntimeError("boom")
        return CATALOGUE.ebs(volume_type, region)

    def public_ipv4(self, region: str, idle: bool = False) -> Quote:
        return CATALOGUE.public_ipv4(region, idle)

    def load_balancer(self, kind: str, region: str) -> Quote:
        return CATALOGUE.load_balancer(kind, region)


@pytest.mark.slow
async def test_an_unexpected_error_stops_only_its_region(account: Account) -> None:
    planted = await plant(account)
    report = await account.scan(catalogue=_BrokenIn("eu-west-1"))
    assert report.failures == {"eu-west-1": "scan stopped: RuntimeError: boom"}
    _assert_region(_by_id(report), planted["us-east-1"], account.account_id)


@pytest.mark.slow
async def test_aws_endpoint_url_from_the_environment_is_honoured(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = await plant(account)
    monkeypatch.setenv("AWS_ENDPOINT_URL", account.endpoint)
    report = await account.scan(endpoint_url=None, regions=["eu-west-1"])
    assert report.failures == {}
    _assert_region(_by_id(report), planted["eu-west-1"], account.account_id)


@pytest.mark.slow
async def test_listings_stop_at_max_items_and_say_so(account: Account) -> None:
    async with account.client("ec2", "us-east-1") as ec2:
        for _ in range(7):
            await ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp2")
    report = await account.scan(regions=["us-east-1"], max_items=5)
    assert report.truncated
    assert [x.kind for x in report.zombies] == ["ebs-volume"] * 5
    small = await account.scan(regions=["us-east-1"], max_items=7)
    assert not small.truncated and len(small.zombies) == 7


@pytest.mark.slow
async def test_paginated_listings_follow_pages_and_count_instances(account: Account) -> None:
    async with account.client("ec2", "us-east-1") as ec2:
        ami = (await ec2.describe_images(Owners=["amazon"]))["Images"][0]["ImageId"]
        for _ in range(12):
            await _instance(ec2, ami)
    session = account.session()
    async with session.client("ec2", region_name="us-east-1", endpoint_url=account.endpoint) as ec2:
        whole = await collect(
            ec2,
            "describe_instances",
            "Reservations",
            max_items=100,
            page_size=5,
            nested="Instances",
        )
        assert (len(whole.items), whole.truncated) == (12, False)
        assert account.operations.count("ec2:DescribeInstances") == 3
        part = await collect(
            ec2, "describe_instances", "Reservations", max_items=10, page_size=5, nested="Instances"
        )
        assert (len(part.items), part.truncated) == (10, True)


@pytest.mark.slow
async def test_every_call_of_a_scan_of_all_enabled_regions_is_allowed_to_the_role(
    account: Account,
) -> None:
    await plant(account)
    report = await account.scan(regions=None, concurrency=8)
    async with account.client("ec2", "us-east-1") as ec2:
        listed = (await ec2.describe_regions())["Regions"]
    enabled = [r["RegionName"] for r in listed if r["OptInStatus"] != "not-opted-in"]
    assert report.regions_scanned == sorted(enabled)
    assert "ap-east-1" not in report.regions_scanned  # moto lists it as not opted in
    assert report.failures == {}
    assert {x.region for x in report.zombies} == set(REGIONS)
    called = set(account.operations)
    assert {"ec2:DescribeRegions", "ec2:DescribeVolumes", "ec2:DescribeSnapshots"} <= called
    assert "elasticloadbalancing:DescribeTargetHealth" in called
    declared = FEATURE_ACTIONS["zombie-scan"]
    assert called <= declared, called - declared
    assert all(":Describe" in action for action in called)


# --- retries and failures ---------------------------------------------------------------------


def _throttled() -> ClientError:
    error = {"Error": {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."}}
    return ClientError(error, "DescribeVolumes")  # type: ignore[arg-type]


def _flaky(failures: int, exc: Callable[[], Exception]) -> Callable[[], Awaitable[str]]:
    calls = {"n": 0}

    async def call() -> str:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise exc()
        return "done"

    return call


async def test_throttling_is_retried_with_a_bounded_backoff() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = RetryPolicy(backoff_tries=2, base_delay=1.0, max_delay=1.5)
    assert await with_backoff(_flaky(2, _throttled), policy, sleep=sleep) == "done"
    assert len(slept) == 2 and all(0 <= s <= 1.5 for s in slept)
    with pytest.raises(ClientError):
        await with_backoff(_flaky(3, _throttled), policy, sleep=sleep)


async def test_other_errors_are_not_retried() -> None:
    def denied() -> ClientError:
        error = {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}
        return ClientError(error, "DescribeVolumes")  # type: ignore[arg-type]

    call = _flaky(1, denied)
    with pytest.raises(ClientError):
        await with_backoff(call, RetryPolicy(), sleep=_no_sleep)


async def _no_sleep(_: float) -> None:
    raise AssertionError("must not sleep")


async def test_a_step_that_keeps_failing_is_recorded_and_the_next_step_runs() -> None:
    state = z._Region("eu-west-1", "123456789012", CATALOGUE, datetime.now(UTC), 10, FAST)

    async def throttled() -> z._Found:
        raise _throttled()

    async def fine() -> z._Found:
        return z._Found(truncated=True)

    await state.step("EBS volumes", throttled)
    await state.step("snapshots", fine)
    assert state.failures == [
        "EBS volumes: DescribeVolumes failed with RequestLimitExceeded: Request limit exceeded."
    ]
    assert state.found.truncated


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("User initiated (2024-01-02 03:04:05 GMT)", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("User initiated (2026-11-26 10:48:06 UTC)", datetime(2026, 11, 26, 10, 48, 6, tzinfo=UTC)),
        (
            "Server.ScheduledStop (2023-05-06 07:08:09 GMT)",
            datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC),
        ),
        ("User initiated", None),
        ("", None),
        (None, None),
        ("User initiated (yesterday)", None),
    ],
)
def test_stop_time_comes_from_the_state_transition_reason(
    reason: str | None, expected: datetime | None
) -> None:
    assert stopped_at(reason) == expected


@pytest.mark.parametrize(
    ("snapshot", "managed"),
    [
        ({"Description": "This snapshot is created by the AWS Backup service."}, True),
        ({"Description": "Created for policy: policy-0abc schedule: Default"}, True),
        ({"Description": "", "Tags": [{"Key": "aws:backup:source-resource", "Value": "x"}]}, True),
        ({"Tags": [{"Key": "dlm:managed", "Value": "true"}]}, True),
        ({"Description": "Created by CreateImage(i-0abc) for ami-0abc"}, True),
        ({"Description": "before the migration", "Tags": [{"Key": "Name", "Value": "db"}]}, False),
        ({}, False),
    ],
)
def test_automated_snapshots_are_recognised(snapshot: dict[str, Any], managed: bool) -> None:
    assert (z.automation(snapshot) is not None) is managed


# --- the Slack message --------------------------------------------------------------------------

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_KINDS = ("ebs-volume", "elastic-ip", "stopped-instance", "load-balancer", "snapshot")


def _zombie(n: int, **overrides: Any) -> Zombie:
    fields: dict[str, Any] = {
        "kind": _KINDS[n % len(_KINDS)],
        "resource_id": f"vol-{n:017x}",
        "region": REGIONS[n % 2],
        "account_id": "123456789012",
        "monthly_usd": 8.0 + n,
        "cost_note": None,
        "detail": f"100 GiB gp3 volume 'data-{n}' in us-east-1a, attached to nothing",
        "cli": f"aws ec2 delete-volume --volume-id vol-{n:017x} --region us-east-1",
        "destructive": n % 2 == 0,
    }
    fields.update(overrides)
    return Zombie(**fields)


def _report(zombies: list[Zombie], **overrides: Any) -> ScanReport:
    fields: dict[str, Any] = {
        "account_id": "123456789012",
        "zombies": zombies,
        "regions_scanned": list(REGIONS),
        "failures": {},
        "truncated": False,
    }
    fields.update(overrides)
    return ScanReport(**fields)


@pytest.mark.slow
async def test_the_message_of_a_real_scan_shows_totals_groups_and_commands(
    account: Account,
) -> None:
    planted = await plant(account)
    report = await account.scan()
    message = zombie_message(report, NOW)
    dicts = check_message(message)
    headline = f"Zombie watch: ${report.total_monthly_usd:,.2f}/month idle in account "
    assert dicts[0]["text"]["text"] == headline + account.account_id
    assert message.text.startswith(headline)
    text = all_text(dicts)
    for title in ("Unattached EBS volumes", "Idle Elastic IPs", "Old manual snapshots"):
        assert title in text
    assert "*Load balancers with no healthy target* · 4 · $" in text
    gp3 = _by_id(report)[planted["eu-west-1"].gp3]
    assert f"```{gp3.cli}```" in text
    stopped = _by_id(report)[planted["eu-west-1"].stopped]
    assert stopped.cli.replace("&", "&amp;") in text
    assert "never changes your AWS account" in text
    assert "1 unpriced" in text or "cost unknown" in text  # snapshots have no catalogue price


def test_500_findings_fit_one_message_with_the_rest_counted() -> None:
    zombies = [_zombie(n) for n in range(500)]
    message = zombie_message(_report(zombies), NOW)
    dicts = check_message(message)
    assert len(dicts) <= 10
    text = all_text(dicts)
    assert text.count("…and 95 more") == 5  # 100 of each kind, the top 5 shown
    assert "*500 idle resources*" in text
    total = sum(8.0 + n for n in range(500))
    assert (
        dicts[0]["text"]["text"]
        == f"Zombie watch: ${total:,.2f}/month idle in account 123456789012"
    )


def test_long_commands_and_hostile_text_stay_valid_and_inert() -> None:
    zombies = [
        _zombie(
            n,
            resource_id=NASTY * 5,
            region=NASTY,
            detail=NASTY * 40,
            cost_note=NASTY * 10,
            cli=" && ".join([f"aws ec2 create-snapshot --volume-id vol-{i}" for i in range(80)]),
            monthly_usd=None if n % 3 else 1.0,
        )
        for n in range(60)
    ]
    failures = {f"{NASTY}-{n}": NASTY * 20 for n in range(40)}
    report = _report(zombies, account_id=NASTY, failures=failures, truncated=True)
    report.skipped[NASTY] = 3
    dicts = check_message(zombie_message(report, NOW))
    text = all_text(dicts)
    assert "Could not fully scan 40 of 2 regions" in text
    assert "there may be more" in text


def test_all_unpriced_findings_say_so_instead_of_a_zero_total() -> None:
    report = _report([_zombie(4, monthly_usd=None, cost_note="no snapshot price")])
    dicts = check_message(zombie_message(report, NOW))
    assert dicts[0]["text"]["text"] == "Zombie watch: 1 idle resource in account 123456789012"
    assert "cost unknown" in all_text(dicts)


def test_an_all_clear_message_still_lists_failed_regions() -> None:
    clear = zombie_message(_report([]), NOW)
    dicts = check_message(clear)
    assert dicts[0]["text"]["text"] == "Zombie watch: all clear in account 123456789012"
    assert "No idle resources found in the 2 regions scanned" in all_text(dicts)
    failed = _report([], failures={"eu-west-1": "EBS volumes: AccessDenied"})
    text = all_text(check_message(zombie_message(failed, NOW)))
    assert "in the 1 region scanned" in text
    assert "`eu-west-1`: EBS volumes: AccessDenied" in text
