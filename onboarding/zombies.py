"""The zombie scan (seed story 4.4): idle resources that still cost money, priced, with a fix.

Run when an account connects and weekly. In each region it looks for

- unattached EBS volumes (size x the EBS $/GB-month of their type),
- Elastic IPs with no association, or on a stopped instance (public IPv4 $/h x 730),
- instances stopped for over `STOPPED_DAYS` with EBS attached (their volumes' EBS cost),
- load balancers with no healthy target in any target group (their $/h x 730),
- manual snapshots older than `SNAPSHOT_DAYS` (size x a snapshot $/GB-month, if priced).

Prices come from the catalogue only; an unknown price is `monthly_usd=None` with the reason.
Every finding carries the AWS CLI command that removes it. dd0c never runs these commands.

One region's failure (access denied, unreachable endpoint, throttling that will not stop) is
recorded in `ScanReport.failures` and the other regions carry on: the scan returns a result,
it does not raise for AWS errors.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shlex
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from onboarding._aws import (
    HOME_REGION,
    Endpoints,
    Listing,
    RetryPolicy,
    SessionFactory,
    bounded,
    client,
    collect,
    describe_error,
    error_code,
    is_region_wide,
    open_session,
    with_backoff,
)
from pricing.catalogue import HOURS_PER_MONTH, Quote

logger = logging.getLogger(__name__)

ZombieKind = Literal["ebs-volume", "elastic-ip", "stopped-instance", "load-balancer", "snapshot"]
KINDS: tuple[ZombieKind, ...] = (
    "ebs-volume",
    "elastic-ip",
    "stopped-instance",
    "load-balancer",
    "snapshot",
)
STOPPED_DAYS = 7
SNAPSHOT_DAYS = 90

_ENABLED_REGION = frozenset({"opt-in-not-required", "opted-in"})
# "User initiated (2024-01-02 03:04:05 GMT)": AWS writes GMT, moto writes UTC.
_STOP_TIME = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")
# Snapshots AWS Backup, Data Lifecycle Manager or an AMI own: not ours to call forgotten.
_AUTOMATED = {
    "made by AWS Backup or Data Lifecycle Manager": (
        ("This snapshot is created by the AWS Backup service", "Created for policy: "),
        ("aws:backup:", "aws:dlm:", "dlm:"),
    ),
    "belonging to an AMI": (
        ("Created by CreateImage(", "Copied for DestinationAmi", "Auto-created snapshot for AMI"),
        (),
    ),
}
_LIVE_TARGET_STATES = frozenset({"healthy", "initial"})
_FILTER_VALUES_MAX = 100
_IOPS_TYPES = frozenset({"io1", "io2"})


class PriceCatalogue(Protocol):
    """The catalogue lookups the scan uses (`pricing.Catalogue` has them)."""

    def ebs(self, volume_type: str, region: str) -> Quote: ...

    def public_ipv4(self, region: str, idle: bool = False) -> Quote: ...

    def load_balancer(self, kind: str, region: str) -> Quote: ...


@dataclass(frozen=True, slots=True)
class Zombie:
    """One idle resource: what it costs a month (or why unknown) and the command removing it."""

    kind: ZombieKind
    resource_id: str
    region: str
    account_id: str
    monthly_usd: float | None
    cost_note: str | None
    detail: str
    cli: str
    # True when the command deletes data for good (volumes, snapshots, instances).
    destructive: bool = False


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What one account's scan found, where it looked, and what it could not do.

    `regions_scanned` lists every region the scan tried; those that failed in part or in full
    are also keys of `failures` (their partial findings are kept). `truncated` is True when a
    listing stopped at `max_items`. `skipped` counts resources left out on purpose, by reason.
    """

    account_id: str
    zombies: list[Zombie]
    regions_scanned: list[str]
    failures: dict[str, str]
    truncated: bool
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total_monthly_usd(self) -> float:
        """The monthly cost of every priced finding."""
        return sum(z.monthly_usd for z in self.zombies if z.monthly_usd is not None)

    @property
    def unpriced(self) -> int:
        """How many findings have no known cost."""
        return sum(1 for z in self.zombies if z.monthly_usd is None)


# --- pure helpers -------------------------------------------------------------------------


def stopped_at(reason: str | None) -> datetime | None:
    """When an instance stopped, from its StateTransitionReason; None when it doesn't say."""
    match = _STOP_TIME.search(reason or "")
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def automation(snapshot: Mapping[str, Any]) -> str | None:
    """Why a snapshot is managed by something (AWS Backup, DLM, an AMI), or None if manual."""
    description = snapshot.get("Description") or ""
    keys = [tag.get("Key", "") for tag in snapshot.get("Tags") or []]
    for why, (descriptions, tag_prefixes) in _AUTOMATED.items():
        if description.startswith(descriptions) or any(k.startswith(tag_prefixes) for k in keys):
            return why
    return None


def cli(*args: str, region: str) -> str:
    """An AWS CLI command line, quoted for a POSIX shell."""
    return shlex.join(["aws", *args, "--region", region])


def _name(resource: Mapping[str, Any]) -> str:
    for tag in resource.get("Tags") or []:
        if tag.get("Key") == "Name" and tag.get("Value"):
            return f" '{tag['Value']}'"
    return ""


def _priced(quote: Quote, quantity: float, note: str | None = None) -> tuple[float | None, str]:
    """(monthly USD, note) for `quantity` units of a quote; None and the reason when unknown."""
    if quote.usd is None:
        return None, quote.reason or "price unknown"
    notes = [n for n in (quote.note, note) if n]
    return quote.usd * quantity, "; ".join(notes)


def _ebs_note(volume: Mapping[str, Any]) -> str | None:
    """What the per-GB price leaves out for this volume, if anything."""
    kind, iops = volume.get("VolumeType"), volume.get("Iops") or 0
    if kind in _IOPS_TYPES:
        return f"storage only: {iops} provisioned IOPS cost extra"
    if kind == "gp3" and (iops > 3000 or (volume.get("Throughput") or 0) > 125):
        return "storage only: IOPS above 3,000 and throughput above 125 MiB/s cost extra"
    return None


def _volumes_cost(
    volumes: Sequence[Mapping[str, Any]], region: str, catalogue: PriceCatalogue
) -> tuple[float | None, str]:
    """The monthly storage cost of some volumes; unknown parts are named in the note."""
    total: float | None = None
    notes: list[str] = []
    for volume in volumes:
        quote = catalogue.ebs(volume.get("VolumeType", "standard"), region)
        monthly, note = _priced(quote, volume.get("Size", 0), _ebs_note(volume))
        if monthly is None:
            notes.append(f"{volume.get('VolumeId')} unpriced: {note}")
            continue
        total = (total or 0.0) + monthly
        if note:
            notes.append(note)
    return total, "; ".join(dict.fromkeys(notes))


def _days(since: datetime, now: datetime) -> int:
    return (now - since).days


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _snapshot_quote(catalogue: PriceCatalogue, region: str) -> Quote:
    """The snapshot $/GB-month if the catalogue knows it (it has no such price yet)."""
    lookup: Callable[[str], Quote] | None = getattr(catalogue, "ebs_snapshot", None)
    if lookup is None:
        return Quote(None, "gb-month", reason="the price catalogue has no EBS snapshot price")
    return lookup(region)


# --- one region ---------------------------------------------------------------------------


@dataclass
class _Found:
    """What one step found (merged into the region's results only if the step succeeds)."""

    zombies: list[Zombie] = field(default_factory=list)
    truncated: bool = False
    skipped: Counter[str] = field(default_factory=Counter)
    stopped: set[str] = field(default_factory=set)


@dataclass
class _Region:
    """One region's scan: steps that each succeed or fail on their own."""

    region: str
    account_id: str
    catalogue: PriceCatalogue
    now: datetime
    max_items: int
    policy: RetryPolicy
    found: _Found = field(default_factory=_Found)
    failures: list[str] = field(default_factory=list)
    stopped_early: bool = False

    async def listing(
        self, aws: Any, operation: str, key: str, page_max: int, **params: Any
    ) -> Listing:
        """A listing bounded by `max_items`, in pages no larger than the API allows."""
        page = min(max(self.max_items, 5), page_max)
        return await collect(
            aws, operation, key, max_items=self.max_items, page_size=page, **params
        )

    async def step(self, label: str, run: Callable[[], Awaitable[_Found]]) -> None:
        """Run one step; an AWS error becomes this region's failure, the rest carries on."""
        if self.stopped_early:
            return
        try:
            found = await with_backoff(run, self.policy, what=f"{self.region} {label}")
        except (ClientError, BotoCoreError) as exc:
            reason = f"{label}: {describe_error(exc)}"
            if is_region_wide(exc):
                self.stopped_early = True
                reason += " (the region's other checks were skipped)"
            self.failures.append(reason)
            logger.warning(
                "zombie scan step failed",
                extra={"account_id": self.account_id, "region": self.region, "reason": reason},
            )
            return
        self.found.zombies.extend(found.zombies)
        self.found.truncated |= found.truncated
        self.found.skipped.update(found.skipped)
        self.found.stopped |= found.stopped

    def zombie(
        self,
        kind: ZombieKind,
        resource_id: str,
        cost: tuple[float | None, str],
        detail: str,
        command: str,
        *,
        destructive: bool = False,
    ) -> Zombie:
        """A finding in this region and account."""
        monthly, note = cost
        return Zombie(
            kind, resource_id, self.region, self.account_id, monthly, note or None, detail,
            command, destructive,
        )  # fmt: skip

    def cli(self, *args: str) -> str:
        """An AWS CLI command for this region."""
        return cli(*args, region=self.region)

    async def volumes(self, ec2: Any) -> _Found:
        """Unattached EBS volumes."""
        available = [{"Name": "status", "Values": ["available"]}]
        listing = await self.listing(ec2, "describe_volumes", "Volumes", 500, Filters=available)
        found = _Found(truncated=listing.truncated)
        for volume in listing.items:
            volume_id = volume["VolumeId"]
            detail = (
                f"{volume.get('Size')} GiB {volume.get('VolumeType')} volume{_name(volume)} in "
                f"{volume.get('AvailabilityZone', self.region)}, attached to nothing"
            )
            cost = _volumes_cost([volume], self.region, self.catalogue)
            command = self.cli("ec2", "delete-volume", "--volume-id", volume_id)
            found.zombies.append(
                self.zombie("ebs-volume", volume_id, cost, detail, command, destructive=True)
            )
        return found

    async def instances(self, ec2: Any) -> _Found:
        """Instances stopped for over `STOPPED_DAYS` that still have EBS volumes."""
        stopped = [{"Name": "instance-state-name", "Values": ["stopped"]}]
        listing = await self.listing(
            ec2, "describe_instances", "Reservations", 1000, nested="Instances", Filters=stopped
        )
        found = _Found(truncated=listing.truncated)
        found.stopped = {i["InstanceId"] for i in listing.items}
        old: list[tuple[dict[str, Any], datetime]] = []
        for instance in listing.items:
            since = stopped_at(instance.get("StateTransitionReason"))
            if since is None:
                found.skipped["stopped instances with no stop time"] += 1
            elif self.now - since > timedelta(days=STOPPED_DAYS):
                old.append((instance, since))
        attached = await self._attached(ec2, [i["InstanceId"] for i, _ in old], found)
        for instance, since in old:
            volumes = attached.get(instance["InstanceId"], [])
            if volumes:
                found.zombies.append(self._stopped(instance, since, volumes))
            else:
                found.skipped["stopped instances without EBS volumes"] += 1
        return found

    async def _attached(self, ec2: Any, ids: list[str], found: _Found) -> dict[str, list[Any]]:
        """The EBS volumes attached to each of these instances."""
        by_instance: dict[str, list[Any]] = {}
        for start in range(0, len(ids), _FILTER_VALUES_MAX):
            chunk = [
                {
                    "Name": "attachment.instance-id",
                    "Values": ids[start : start + _FILTER_VALUES_MAX],
                }
            ]
            listing = await self.listing(ec2, "describe_volumes", "Volumes", 500, Filters=chunk)
            found.truncated |= listing.truncated
            for volume in listing.items:
                for attachment in volume.get("Attachments") or []:
                    by_instance.setdefault(attachment.get("InstanceId", ""), []).append(volume)
        return by_instance

    def _stopped(self, instance: Mapping[str, Any], since: datetime, volumes: list[Any]) -> Zombie:
        instance_id = instance["InstanceId"]
        size = sum(v.get("Size", 0) for v in volumes)
        detail = (
            f"{instance.get('InstanceType', 'instance')}{_name(instance)} stopped since "
            f"{since:%Y-%m-%d} ({_days(since, self.now)} days) with {len(volumes)} EBS "
            f"volume(s), {size} GiB; terminating also deletes volumes marked DeleteOnTermination"
        )
        why = f"before terminating {instance_id}"
        commands = [
            *(self.cli("ec2", "create-snapshot", "--volume-id", v["VolumeId"], "--description", why)
              for v in volumes),
            self.cli("ec2", "terminate-instances", "--instance-ids", instance_id),
        ]  # fmt: skip
        cost = _volumes_cost(volumes, self.region, self.catalogue)
        return self.zombie(
            "stopped-instance", instance_id, cost, detail, " && ".join(commands), destructive=True
        )

    async def addresses(self, ec2: Any) -> _Found:
        """Elastic IPs with no association, or on a stopped instance."""
        answer = await ec2.describe_addresses()
        listing = bounded(answer.get("Addresses") or [], self.max_items)
        found = _Found(truncated=listing.truncated)
        cost = _priced(self.catalogue.public_ipv4(self.region, idle=True), HOURS_PER_MONTH)
        for address in listing.items:
            zombie = self._address(address, cost)
            if zombie is not None:
                found.zombies.append(zombie)
        return found

    def _address(self, address: Mapping[str, Any], cost: tuple[float | None, str]) -> Zombie | None:
        allocation = address.get("AllocationId")
        ip = address.get("PublicIp", "?")
        release = (
            self.cli("ec2", "release-address", "--allocation-id", allocation)
            if allocation
            else self.cli("ec2", "release-address", "--public-ip", ip)
        )
        association = address.get("AssociationId")
        instance = address.get("InstanceId")
        label = f"Elastic IP {ip}{_name(address)}"
        if not association:
            detail, command = f"{label} associated with nothing", release
        elif instance and instance in self.found.stopped:
            detail = f"{label} on stopped instance {instance}"
            detach = self.cli("ec2", "disassociate-address", "--association-id", association)
            command = f"{detach} && {release}"
        else:
            return None
        return self.zombie("elastic-ip", allocation or ip, cost, detail, command)

    async def snapshots(self, ec2: Any) -> _Found:
        """Manual snapshots older than `SNAPSHOT_DAYS`."""
        # owner-id says what OwnerIds=self says in AWS; moto's server ignores OwnerIds.
        mine = [{"Name": "owner-id", "Values": [self.account_id]}]
        listing = await self.listing(
            ec2, "describe_snapshots", "Snapshots", 1000, OwnerIds=["self"], Filters=mine
        )
        found = _Found(truncated=listing.truncated)
        quote = _snapshot_quote(self.catalogue, self.region)
        cutoff = self.now - timedelta(days=SNAPSHOT_DAYS)
        for snapshot in listing.items:
            started = snapshot.get("StartTime")
            if started is None or _aware(started) > cutoff:
                continue
            managed = automation(snapshot)
            if managed is not None:
                found.skipped[f"old snapshots {managed}"] += 1
                continue
            found.zombies.append(self._snapshot(snapshot, _aware(started), quote))
        return found

    def _snapshot(self, snapshot: Mapping[str, Any], started: datetime, quote: Quote) -> Zombie:
        snapshot_id = snapshot["SnapshotId"]
        size = snapshot.get("VolumeSize", 0)
        upper = "an upper bound: snapshots are billed for changed blocks, often less than this"
        detail = (
            f"{size} GiB snapshot{_name(snapshot)} of {snapshot.get('VolumeId', 'a volume')}, "
            f"taken {started:%Y-%m-%d} ({_days(started, self.now)} days ago)"
        )
        command = self.cli("ec2", "delete-snapshot", "--snapshot-id", snapshot_id)
        cost = _priced(quote, size, upper)
        return self.zombie("snapshot", snapshot_id, cost, detail, command, destructive=True)

    async def load_balancers(self, elbv2: Any) -> _Found:
        """Load balancers with no healthy target in any of their target groups."""
        listing = await self.listing(elbv2, "describe_load_balancers", "LoadBalancers", 400)
        found = _Found(truncated=listing.truncated)
        for balancer in listing.items:
            groups = await self._target_groups(elbv2, balancer["LoadBalancerArn"])
            if groups is None:
                continue
            found.truncated |= groups.truncated
            registered = await _registered_if_idle(elbv2, groups)
            if registered is not None:
                found.zombies.append(self._balancer(balancer, len(groups.items), registered))
        return found

    async def _target_groups(self, elbv2: Any, arn: str) -> Listing | None:
        """A load balancer's target groups; None if it was deleted meanwhile."""
        try:
            return await self.listing(
                elbv2, "describe_target_groups", "TargetGroups", 400, LoadBalancerArn=arn
            )
        except ClientError as exc:
            # moto answers TargetGroupNotFound for a load balancer without target groups
            if error_code(exc) == "TargetGroupNotFound":
                return Listing([], truncated=False)
            if error_code(exc) == "LoadBalancerNotFound":
                return None
            raise

    def _balancer(self, balancer: Mapping[str, Any], groups: int, registered: int) -> Zombie:
        arn = balancer["LoadBalancerArn"]
        kind = balancer.get("Type", "application")
        targets = f"{groups} target group(s), {registered} target(s) registered, none healthy"
        detail = f"{kind} load balancer '{balancer.get('LoadBalancerName', arn)}': {targets}"
        if not groups:
            detail += " (a redirect-only load balancer needs no targets: check its listeners)"
        cost = _priced(self.catalogue.load_balancer(kind, self.region), HOURS_PER_MONTH)
        command = self.cli("elbv2", "delete-load-balancer", "--load-balancer-arn", arn)
        return self.zombie("load-balancer", arn, cost, detail, command)


def _serving(group: Mapping[str, Any], target: Mapping[str, Any]) -> bool:
    """Whether a target takes traffic: healthy, still starting, or unchecked (Lambda targets)."""
    state = (target.get("TargetHealth") or {}).get("State")
    unchecked = state == "unavailable" and group.get("HealthCheckEnabled") is False
    return state in _LIVE_TARGET_STATES or unchecked


async def _registered_if_idle(elbv2: Any, groups: Listing) -> int | None:
    """How many targets are registered if none serves; None as soon as one does."""
    registered = 0
    for group in groups.items:
        health = await elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        targets = health.get("TargetHealthDescriptions") or []
        if any(_serving(group, target) for target in targets):
            return None
        registered += len(targets)
    return registered


# --- the account --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scan:
    """What every region's scan shares."""

    session: Any
    account_id: str
    catalogue: PriceCatalogue
    now: datetime
    max_items: int
    endpoints: Endpoints
    policy: RetryPolicy


async def _scan_region(scan: _Scan, state: _Region) -> None:
    """Every step in one region, in order (Elastic IPs need the stopped instances)."""
    ec2_client = client(scan.session, "ec2", state.region, scan.endpoints, scan.policy)
    elbv2_client = client(scan.session, "elbv2", state.region, scan.endpoints, scan.policy)
    async with ec2_client as ec2, elbv2_client as elbv2:
        await state.step("EBS volumes", lambda: state.volumes(ec2))
        await state.step("stopped instances", lambda: state.instances(ec2))
        await state.step("Elastic IPs", lambda: state.addresses(ec2))
        await state.step("snapshots", lambda: state.snapshots(ec2))
        await state.step("load balancers", lambda: state.load_balancers(elbv2))


async def _guarded(scan: _Scan, region: str, limit: asyncio.Semaphore) -> _Region:
    """One region's scan; anything unexpected is that region's failure, logged in full."""
    state = _Region(region, scan.account_id, scan.catalogue, scan.now, scan.max_items, scan.policy)
    async with limit:
        try:
            await _scan_region(scan, state)
        except Exception as exc:  # one region never stops the account's scan
            logger.exception(
                "zombie scan of a region failed",
                extra={"account_id": scan.account_id, "region": region},
            )
            state.failures.append(f"scan stopped: {describe_error(exc)}")
    return state


async def enabled_regions(
    session: Any,
    *,
    home_region: str = HOME_REGION,
    endpoint_url: Endpoints = None,
    retry: RetryPolicy | None = None,
) -> list[str]:
    """The account's enabled regions (opt-in not required, or opted in), sorted."""
    policy = retry or RetryPolicy()
    async with client(session, "ec2", home_region, endpoint_url, policy) as ec2:
        answer = await with_backoff(ec2.describe_regions, policy, what="describe_regions")
    return sorted(
        region["RegionName"]
        for region in answer.get("Regions") or []
        if region.get("OptInStatus", "opt-in-not-required") in _ENABLED_REGION
    )


def _report(account_id: str, regions: Iterable[_Region]) -> ScanReport:
    zombies: list[Zombie] = []
    failures: dict[str, str] = {}
    skipped: Counter[str] = Counter()
    scanned: list[str] = []
    truncated = False
    for state in regions:
        scanned.append(state.region)
        zombies.extend(state.found.zombies)
        skipped.update(state.found.skipped)
        truncated |= state.found.truncated
        if state.failures:
            failures[state.region] = "; ".join(state.failures)
    zombies.sort(
        key=lambda z: (
            z.monthly_usd is None,
            -(z.monthly_usd or 0.0),
            z.kind,
            z.region,
            z.resource_id,
        )
    )
    return ScanReport(account_id, zombies, scanned, failures, truncated, dict(skipped))


async def scan_account(
    session_factory: SessionFactory,
    account_id: str,
    regions: Sequence[str] | None,
    catalogue: PriceCatalogue,
    *,
    now: datetime,
    concurrency: int = 4,
    max_items: int = 1000,
    endpoint_url: Endpoints = None,
    retry: RetryPolicy | None = None,
    home_region: str = HOME_REGION,
) -> ScanReport:
    """Find one account's idle, still-billed resources in `regions` (None: every enabled one).

    Args:
        session_factory: gives an aioboto3 Session holding the assumed role's credentials.
        now: the scan's clock (stopped-for and snapshot ages are measured from it).
        concurrency: how many regions are scanned at once.
        max_items: the most resources of one kind read in one region (then `truncated`).
        endpoint_url: one endpoint for all regions, or a region -> endpoint mapping; None lets
            botocore choose (it honours `AWS_ENDPOINT_URL`).
        retry: botocore attempts and the extra bounded backoff on throttling.
    """
    if concurrency < 1 or max_items < 1:
        raise ValueError("concurrency and max_items must be at least 1")
    policy = retry or RetryPolicy()
    session = await open_session(session_factory)
    if regions is None:
        try:
            regions = await enabled_regions(
                session, home_region=home_region, endpoint_url=endpoint_url, retry=policy
            )
        except (ClientError, BotoCoreError) as exc:
            reason = f"could not list the enabled regions: {describe_error(exc)}"
            return ScanReport(account_id, [], [], {home_region: reason}, False)
    scan = _Scan(session, account_id, catalogue, _aware(now), max_items, endpoint_url, policy)
    limit = asyncio.Semaphore(concurrency)
    unique = list(dict.fromkeys(regions))
    results = await asyncio.gather(*(_guarded(scan, region, limit) for region in unique))
    report = _report(account_id, results)
    logger.info(
        "zombie scan done",
        extra={
            "account_id": account_id,
            "regions": len(report.regions_scanned),
            "failed_regions": len(report.failures),
            "zombies": len(report.zombies),
        },
    )
    return report
