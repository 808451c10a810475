"""CloudWatch reads of the usage watch: which resources have metrics, and their hourly sums.

`ListMetrics` finds the resources (functions, models, gateways, tables) with data; one
`GetMetricData` request carries up to 500 queries, each answer is paged with `NextToken`, and a
throttled request is tried again with a bounded, jittered backoff (`onboarding._aws.with_backoff`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from onboarding._aws import RetryPolicy, with_backoff

QUERIES_PER_REQUEST = 500  # GetMetricData's limit
HOUR_SECONDS = 3600
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Metric:
    """One CloudWatch metric a service's usage is measured by."""

    namespace: str
    name: str
    dimension: str


@dataclass(frozen=True, slots=True)
class Watched:
    """One watched service: its metrics (the first one finds the resources), unit, CLI."""

    service: str
    label: str
    metrics: tuple[Metric, ...]
    unit: str


def _metrics(namespace: str, dimension: str, *names: str) -> tuple[Metric, ...]:
    return tuple(Metric(namespace, name, dimension) for name in names)


WATCHED: tuple[Watched, ...] = (
    Watched(
        "lambda",
        "Lambda invocations",
        _metrics("AWS/Lambda", "FunctionName", "Invocations", "Duration"),
        "invocations",
    ),
    Watched(
        "bedrock",
        "Bedrock tokens",
        _metrics("AWS/Bedrock", "ModelId", "InputTokenCount", "OutputTokenCount"),
        "tokens",
    ),
    Watched(
        "nat-gateway",
        "NAT gateway data processed",
        _metrics("AWS/NATGateway", "NatGatewayId", "BytesInFromSource", "BytesInFromDestination"),
        "bytes",
    ),
    Watched(
        "dynamodb",
        "DynamoDB request units",
        _metrics(
            "AWS/DynamoDB", "TableName", "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"
        ),
        "request units",
    ),
)


@dataclass(frozen=True, slots=True)
class Query:
    """One series to read: a metric of one resource."""

    service: str
    resource: str
    metric: Metric


Series = dict[datetime, float]


async def resources_with(
    cloudwatch: Any, metric: Metric, policy: RetryPolicy, sleep: Sleep = asyncio.sleep
) -> list[str]:
    """The resources (dimension values) that have `metric`, sorted, every page read."""
    found: set[str] = set()
    params: dict[str, Any] = {"Namespace": metric.namespace, "MetricName": metric.name}
    while True:
        page = await with_backoff(
            partial(cloudwatch.list_metrics, **params),
            policy,
            what="list_metrics",
            sleep=sleep,
        )
        for item in page.get("Metrics") or []:
            dims = item.get("Dimensions") or []
            if len(dims) == 1 and dims[0].get("Name") == metric.dimension:
                found.add(str(dims[0]["Value"]))
        token = page.get("NextToken")
        if not token:
            return sorted(found)
        params["NextToken"] = token


def _query(index: int, query: Query) -> dict[str, Any]:
    return {
        "Id": f"q{index}",
        "MetricStat": {
            "Metric": {
                "Namespace": query.metric.namespace,
                "MetricName": query.metric.name,
                "Dimensions": [{"Name": query.metric.dimension, "Value": query.resource}],
            },
            "Period": HOUR_SECONDS,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def _hour(value: datetime) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _add(series: Series, result: Mapping[str, Any]) -> None:
    for stamp, value in zip(
        result.get("Timestamps") or [], result.get("Values") or [], strict=False
    ):
        hour = _hour(stamp)
        series[hour] = series.get(hour, 0.0) + float(value)


async def _request(
    cloudwatch: Any,
    batch: list[dict[str, Any]],
    start: datetime,
    end: datetime,
    policy: RetryPolicy,
    sleep: Sleep,
) -> list[Mapping[str, Any]]:
    """Every page of one GetMetricData request."""
    results: list[Mapping[str, Any]] = []
    params: dict[str, Any] = {
        "MetricDataQueries": batch,
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    while True:
        page = await with_backoff(
            partial(cloudwatch.get_metric_data, **params),
            policy,
            what="get_metric_data",
            sleep=sleep,
        )
        results.extend(page.get("MetricDataResults") or [])
        token = page.get("NextToken")
        if not token:
            return results
        params["NextToken"] = token


async def hourly_sums(
    cloudwatch: Any,
    queries: Iterable[Query],
    start: datetime,
    end: datetime,
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
) -> dict[Query, Series]:
    """Each query's hourly sums from `start` to `end` (hours without data are absent)."""
    listed = list(queries)
    out: dict[Query, Series] = {q: {} for q in listed}
    for offset in range(0, len(listed), QUERIES_PER_REQUEST):
        chunk = listed[offset : offset + QUERIES_PER_REQUEST]
        batch = [_query(offset + i, q) for i, q in enumerate(chunk)]
        for result in await _request(cloudwatch, batch, start, end, policy, sleep):
            index = int(str(result.get("Id", "q-1"))[1:])
            if offset <= index < offset + len(chunk):
                _add(out[listed[index]], result)
    return out
