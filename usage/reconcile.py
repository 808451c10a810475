"""The daily reconciliation: what Cost Explorer billed an account yesterday, by service, beside what
our inventory estimated for the same day.

Cost Explorer charges for every API request ($0.01 each, AWS Cost Management pricing), so an
account's day is asked for once: a stored day is never asked again, and one request (one page) is
what a day grouped by service normally takes. The estimate is the live inventory's hourly cost x the
hours each resource ran inside the day; services we do not watch are listed as such.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from onboarding._aws import HOME_REGION, Endpoints, RetryPolicy, client, with_backoff
from storage.reconciliations import Reconciliation, ServicePair, reconciliation_id
from usage.metrics import Sleep

if TYPE_CHECKING:
    from storage.resources import LiveResource
    from storage.store import Store

EC2 = "Amazon Elastic Compute Cloud - Compute"
EC2_OTHER = "EC2 - Other"
VPC = "Amazon Virtual Private Cloud"
# Our resource types -> the Cost Explorer SERVICE they are billed under.
CE_SERVICE: dict[str, str] = {
    "ec2:instance": EC2,
    "autoscaling:group": EC2,
    "eks:nodegroup": EC2,
    "ec2:volume": EC2_OTHER,
    "ec2:natgateway": EC2_OTHER,
    "ec2:elastic-ip": VPC,
    "ec2:traffic-mirror-session": VPC,
    "rds:db-instance": "Amazon Relational Database Service",
    "rds:db-cluster": "Amazon Relational Database Service",
    "lambda:function": "AWS Lambda",
    "lambda:provisioned-concurrency": "AWS Lambda",
    "eks:cluster": "Amazon Elastic Container Service for Kubernetes",
    "redshift:cluster": "Amazon Redshift",
    "elasticache:cache-cluster": "Amazon ElastiCache",
    "elasticache:replication-group": "Amazon ElastiCache",
    "sagemaker:notebook-instance": "Amazon SageMaker",
    "sagemaker:endpoint": "Amazon SageMaker",
    "emr:cluster": "Amazon Elastic MapReduce",
    "opensearch:domain": "Amazon OpenSearch Service",
    "elb:load-balancer": "Amazon Elastic Load Balancing",
}
# Watched by the usage watch's spikes (not in the estimate: see the README).
USAGE_WATCHED = frozenset({"AWS Lambda", "Amazon DynamoDB", EC2_OTHER, "Amazon Bedrock"})
WATCHED = frozenset(CE_SERVICE.values()) | USAGE_WATCHED
METRIC = "UnblendedCost"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hours_running(resource: LiveResource, start: datetime, end: datetime) -> float:
    """Hours the resource ran inside [start, end): from first seen until it stopped or ended."""
    if resource.state == "defined":
        return 0.0
    begin = max(_aware(resource.first_seen), start)
    stop = end if resource.state == "running" else min(_aware(resource.last_event_time), end)
    return max((stop - begin).total_seconds() / 3600.0, 0.0)


def estimate(resources: Iterable[LiveResource], start: datetime, end: datetime) -> dict[str, float]:
    """Our estimate of the day per Cost Explorer service (priced resources only)."""
    out: dict[str, float] = {}
    for resource in resources:
        service = CE_SERVICE.get(resource.resource_type)
        if service is None or resource.hourly_cost is None:
            continue
        cost = resource.hourly_cost * hours_running(resource, start, end)
        out[service] = out.get(service, 0.0) + cost
    return out


def _cents(value: float) -> float:
    return round(value + 0.0, 2)


def compare(
    tenant_id: str,
    account_id: str,
    day: date,
    estimated: Mapping[str, float],
    billed: Mapping[str, float],
    now: datetime,
) -> Reconciliation:
    """The day's record: totals, each watched service's pair, and the billed services we don't
    watch (largest first)."""
    names = sorted(set(estimated) | {s for s in billed if s in WATCHED})
    services = [
        ServicePair(
            service=name,
            estimated_usd=_cents(estimated.get(name, 0.0)),
            billed_usd=_cents(billed.get(name, 0.0)),
        )
        for name in names
    ]
    unwatched = sorted(
        (
            ServicePair(service=name, estimated_usd=0.0, billed_usd=_cents(amount))
            for name, amount in billed.items()
            if name not in WATCHED and _cents(amount) != 0
        ),
        key=lambda pair: (-pair.billed_usd, pair.service),
    )
    return Reconciliation(
        _id=reconciliation_id(tenant_id, account_id, day.isoformat()),
        tenant_id=tenant_id,
        account_id=account_id,
        day=day.isoformat(),
        estimated_usd=_cents(sum(estimated.values())),
        billed_usd=_cents(sum(billed.values())),
        services=services,
        unwatched=unwatched,
        created_at=now,
    )


async def billed_by_service(
    session: Any,
    account_id: str,
    day: date,
    *,
    endpoint_url: Endpoints = None,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, float]:
    """Cost Explorer's unblended cost of the account's day by service (each page is billed)."""
    policy = retry or RetryPolicy()
    params: dict[str, Any] = {
        "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account_id]}},
    }
    out: dict[str, float] = {}
    async with client(session, "ce", HOME_REGION, endpoint_url, policy) as ce:
        while True:
            page = await with_backoff(
                partial(ce.get_cost_and_usage, **params), policy, what="ce", sleep=sleep
            )
            for period in page.get("ResultsByTime") or []:
                for group in period.get("Groups") or []:
                    name = str((group.get("Keys") or ["?"])[0])
                    amount = float(group.get("Metrics", {}).get(METRIC, {}).get("Amount", 0))
                    out[name] = out.get(name, 0.0) + amount
            token = page.get("NextPageToken")
            if not token:
                return out
            params["NextPageToken"] = token


async def reconcile_account(
    store: Store,
    session: Any,
    tenant_id: str,
    account_id: str,
    day: date,
    now: datetime,
    *,
    endpoint_url: Endpoints = None,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Reconciliation | None:
    """Reconcile the account's day and store it; None when it was reconciled before."""
    if await store.reconciliations.has(tenant_id, account_id, day.isoformat()):
        return None
    billed = await billed_by_service(
        session, account_id, day, endpoint_url=endpoint_url, retry=retry, sleep=sleep
    )
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    resources = await store.resources.seen_during(tenant_id, account_id, start, end)
    record = compare(tenant_id, account_id, day, estimate(resources, start, end), billed, now)
    await store.reconciliations.save(record)
    return record
