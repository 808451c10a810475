"""The hourly usage watch of one connected account: every region it uses, every watched stream.

Per region: find the resources with metrics, read 15 days of hourly sums in batched
`GetMetricData` requests, price each stream (`engine.usage`), judge the last complete hour against
its seasonal normal. A region that fails (access denied, unreachable, throttled past the backoff)
is recorded in `UsageReport.failures` with its reason and the other regions carry on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from engine.usage import (
    DAY,
    HISTORY_DAYS,
    HOUR,
    Spike,
    Stream,
    StreamKey,
    lambda_hourly,
    nat_hourly,
    spike_of,
)
from onboarding._aws import (
    Endpoints,
    RetryPolicy,
    SessionFactory,
    client,
    describe_error,
    open_session,
    with_backoff,
)
from pricing import Catalogue
from usage.metrics import WATCHED, Query, Series, Sleep, Watched, hourly_sums, resources_with

logger = logging.getLogger(__name__)

BEDROCK_NOTE = "Bedrock token prices are per model and not in the price data: tokens shown"
DYNAMODB_NOTE = (
    "DynamoDB on-demand request-unit prices are not in the price data "
    "(and provisioned tables are billed per hour): request units shown"
)


@dataclass(frozen=True, slots=True)
class Found:
    """One spike with what the card needs beside it."""

    spike: Spike
    label: str
    note: str | None


@dataclass(slots=True)
class UsageReport:
    """One account's watch: what it judged, what spiked, which regions failed and why."""

    account_id: str
    hour: datetime
    regions: list[str] = field(default_factory=list)
    streams: int = 0
    found: list[Found] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def judged_hour(now: datetime) -> datetime:
    """The last complete clock hour before `now` (UTC)."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - HOUR


async def _functions(lambda_client: Any, policy: RetryPolicy, sleep: Sleep) -> dict[str, Any]:
    """Function name -> (memory MB, architecture), every page."""
    out: dict[str, Any] = {}
    params: dict[str, Any] = {}
    while True:
        page = await with_backoff(
            partial(lambda_client.list_functions, **params),
            policy,
            what="list_functions",
            sleep=sleep,
        )
        for fn in page.get("Functions") or []:
            arch = (fn.get("Architectures") or ["x86_64"])[0]
            out[str(fn["FunctionName"])] = (fn.get("MemorySize"), arch)
        marker = page.get("NextMarker")
        if not marker:
            return out
        params["Marker"] = marker


def _summed(series: Sequence[Series]) -> Series:
    out: Series = {}
    for one in series:
        for hour, value in one.items():
            out[hour] = out.get(hour, 0.0) + value
    return out


@dataclass(frozen=True, slots=True)
class _Region:
    account_id: str
    region: str
    catalogue: Catalogue
    functions: Mapping[str, Any]

    def stream(self, watched: Watched, resource: str, series: Sequence[Series]) -> Stream:
        key = StreamKey(self.account_id, self.region, watched.service, resource)
        if watched.service == "lambda":
            memory, arch = self.functions.get(resource, (None, "x86_64"))
            priced = lambda_hourly(self.catalogue, self.region, series[0], series[1], memory, arch)
        elif watched.service == "nat-gateway":
            priced = nat_hourly(self.catalogue, self.region, _summed(series))
        else:
            note = BEDROCK_NOTE if watched.service == "bedrock" else DYNAMODB_NOTE
            return Stream(key, _summed(series), watched.unit, False, note)
        if priced.hourly is None:
            return Stream(
                key,
                series[0] if watched.service == "lambda" else _summed(series),
                watched.unit,
                False,
                priced.note,
            )
        return Stream(key, priced.hourly, "USD", True, priced.note)


async def _watch_region(
    session: Any,
    region: str,
    report: UsageReport,
    catalogue: Catalogue,
    endpoints: Endpoints,
    policy: RetryPolicy,
    sleep: Sleep,
) -> None:
    hour = report.hour
    async with client(session, "cloudwatch", region, endpoints, policy) as cw:
        queries: list[Query] = []
        for watched in WATCHED:
            for resource in await resources_with(cw, watched.metrics[0], policy, sleep):
                queries += [Query(watched.service, resource, m) for m in watched.metrics]
        if not queries:
            return
        start = hour - (HISTORY_DAYS + 1) * DAY
        sums = await hourly_sums(cw, queries, start, hour + HOUR, policy, sleep)
    functions: Mapping[str, Any] = {}
    if any(q.service == "lambda" for q in queries):
        try:
            async with client(session, "lambda", region, endpoints, policy) as lam:
                functions = await _functions(lam, policy, sleep)
        except ClientError as exc:  # no memory sizes: Lambda is watched in invocations instead
            logger.warning(
                "listing Lambda functions failed",
                extra={"account_id": report.account_id, "region": region},
            )
            report.failures[region] = f"Lambda not priced: {describe_error(exc)}"
    state = _Region(report.account_id, region, catalogue, functions)
    for watched in WATCHED:
        resources = sorted({q.resource for q in queries if q.service == watched.service})
        for resource in resources:
            series = [sums[Query(watched.service, resource, m)] for m in watched.metrics]
            stream = state.stream(watched, resource, series)
            report.streams += 1
            spike = spike_of(stream, hour)
            if spike is not None:
                report.found.append(Found(spike, watched.label, stream.price_note))


async def watch_account(
    session_factory: SessionFactory,
    account_id: str,
    regions: Sequence[str],
    catalogue: Catalogue,
    *,
    now: datetime,
    endpoint_url: Endpoints = None,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> UsageReport:
    """Judge the account's usage streams for the last complete hour, region by region."""
    policy = retry or RetryPolicy()
    report = UsageReport(account_id, judged_hour(now))
    session = await open_session(session_factory)
    for region in dict.fromkeys(regions):
        report.regions.append(region)
        try:
            await _watch_region(session, region, report, catalogue, endpoint_url, policy, sleep)
        except Exception as exc:  # one region never stops the account's watch
            logger.warning(
                "usage watch of a region failed",
                extra={"account_id": account_id, "region": region, "reason": describe_error(exc)},
            )
            report.failures[region] = describe_error(exc)
    logger.info(
        "usage watch done",
        extra={
            "account_id": account_id,
            "regions": len(report.regions),
            "failed_regions": len(report.failures),
            "streams": report.streams,
            "spikes": len(report.found),
        },
    )
    return report
