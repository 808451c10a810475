"""Forwarding coverage of one account, read with its assumed read-only role.

CloudTrail puts an API call's event on the default bus of the region where it was made, so dd0c
sees a region only if its `dd0c-cost-forward-*` rules are there (the stack copies them to every
enabled region, `cloudformation/README.md`). Per enabled region this reads the rule names
(`events:ListRules`); where one is missing, it counts the running instances
(`ec2:DescribeInstances`), the evidence that the blind spot is in use. A region with its rules and
no event for a long time is fine: quiet regions exist.

The actions are declared in `onboarding.permissions.FEATURE_ACTIONS["coverage"]`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from engine import SUPPORTED_EVENTS
from onboarding._aws import (
    HOME_REGION,
    Endpoints,
    RetryPolicy,
    SessionFactory,
    client,
    collect,
    describe_error,
    error_code,
    open_session,
    with_backoff,
)
from onboarding.scan_job import assumed_session_factory
from onboarding.zombies import enabled_regions

logger = logging.getLogger(__name__)

RULE_PREFIX = "dd0c-cost-forward-"
SESSION_NAME = "dd0c-cost-coverage"
RULES_MAX = 100
INSTANCES_MAX = 1000  # counted up to this, then "1000+"
_RUNNING = [{"Name": "instance-state-name", "Values": ["running"]}]
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def expected_rules() -> frozenset[str]:
    """The rule names the stack creates in every region: one per eventSource the engine prices."""
    return frozenset(f"{RULE_PREFIX}{source.split('.')[0]}" for source, _ in SUPPORTED_EVENTS)


@dataclass(frozen=True, slots=True)
class RegionCoverage:
    """One enabled region: the forwarding rules it lacks and the instances running there."""

    region: str
    missing_rules: tuple[str, ...]
    running_instances: int = 0
    instances_truncated: bool = False

    @property
    def gap(self) -> bool:
        """Whether some of dd0c's forwarding rules are missing here."""
        return bool(self.missing_rules)


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """The regions checked and those that could not be (region -> reason)."""

    account_id: str
    regions: list[RegionCoverage]
    failures: dict[str, str]
    denied: frozenset[str] = frozenset()  # regions where the role may not read the rules

    @property
    def gaps(self) -> list[RegionCoverage]:
        """The regions dd0c cannot see, by region."""
        return sorted((r for r in self.regions if r.gap), key=lambda r: r.region)

    @property
    def role_outdated(self) -> bool:
        """The role denies the rule listing everywhere: a stack older than the coverage check."""
        return bool(self.denied) and not self.regions and set(self.failures) == self.denied


@dataclass(frozen=True, slots=True)
class _Check:
    session: Any
    endpoints: Endpoints
    policy: RetryPolicy
    expected: frozenset[str]


async def _region(check: _Check, region: str) -> RegionCoverage:
    async with client(check.session, "events", region, check.endpoints, check.policy) as events:
        rules = await with_backoff(
            lambda: collect(
                events, "list_rules", "Rules", max_items=RULES_MAX, NamePrefix=RULE_PREFIX
            ),
            check.policy,
            what="list_rules",
        )
    missing = tuple(sorted(check.expected - {rule["Name"] for rule in rules.items}))
    if not missing:
        return RegionCoverage(region, ())
    async with client(check.session, "ec2", region, check.endpoints, check.policy) as ec2:
        running = await with_backoff(
            lambda: collect(
                ec2,
                "describe_instances",
                "Reservations",
                max_items=INSTANCES_MAX,
                nested="Instances",
                Filters=_RUNNING,
            ),
            check.policy,
            what="describe_instances",
        )
    return RegionCoverage(region, missing, len(running.items), running.truncated)


async def _guarded(
    check: _Check, region: str, limit: asyncio.Semaphore
) -> RegionCoverage | tuple[str, str, bool]:
    async with limit:
        try:
            return await _region(check, region)
        except (ClientError, BotoCoreError) as exc:  # that region is unknown, the rest carry on
            return region, describe_error(exc), error_code(exc) in _DENIED


async def check_account(
    session_factory: SessionFactory,
    account_id: str,
    *,
    regions: Sequence[str] | None = None,
    endpoint_url: Endpoints = None,
    retry: RetryPolicy | None = None,
    concurrency: int = 8,
    home_region: str = HOME_REGION,
) -> CoverageReport:
    """Which of the account's enabled regions (or `regions`) lack dd0c's forwarding rules."""
    policy = retry or RetryPolicy()
    session = await open_session(session_factory)
    if regions is None:
        try:
            regions = await enabled_regions(
                session, home_region=home_region, endpoint_url=endpoint_url, retry=policy
            )
        except (ClientError, BotoCoreError) as exc:
            reason = f"could not list the enabled regions: {describe_error(exc)}"
            return CoverageReport(account_id, [], {home_region: reason})
    check = _Check(session, endpoint_url, policy, expected_rules())
    limit = asyncio.Semaphore(concurrency)
    results = await asyncio.gather(
        *(_guarded(check, region, limit) for region in dict.fromkeys(regions))
    )
    checked = [r for r in results if isinstance(r, RegionCoverage)]
    failed = [r for r in results if isinstance(r, tuple)]
    failures = {region: reason for region, reason, _ in failed}
    denied = frozenset(region for region, _, is_denied in failed if is_denied)
    report = CoverageReport(account_id, checked, failures, denied)
    logger.info(
        "coverage checked",
        extra={
            "account_id": account_id,
            "regions": len(checked),
            "gaps": len(report.gaps),
            "failed_regions": len(failures),
        },
    )
    return report


async def check_connected_account(
    account_id: str,
    role_arn: str,
    external_id: str,
    *,
    endpoint_url: str | None = None,
    regions: Sequence[str] | None = None,
) -> CoverageReport:
    """The account's coverage, read through its dd0c-cost-readonly role (AssumeRole)."""
    factory = assumed_session_factory(
        role_arn, external_id, endpoint_url=endpoint_url, session_name=SESSION_NAME
    )
    return await check_account(factory, account_id, regions=regions, endpoint_url=endpoint_url)
