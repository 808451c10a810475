"""Usage spikes become anomalies on the ordinary path: stored pending, governed, then carded.

The anomaly id is the spike's (account, region, service, resource, first spiking hour), so the
same spike seen again the next hour is the same anomaly and alerts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from engine.usage import USAGE_EVENT, Spike
from storage.anomalies import StoredAnomaly
from usage.watch import Found

if TYPE_CHECKING:
    from storage.store import Store

# What the card offers to see or cap each service's usage (resource id in {id}, region in {region}).
CLI = {
    "lambda": "aws lambda put-function-concurrency --function-name {id} "
    "--reserved-concurrent-executions 10 --region {region}",
    "bedrock": "aws cloudwatch get-metric-statistics --namespace AWS/Bedrock "
    "--metric-name InputTokenCount --dimensions Name=ModelId,Value={id} --statistics Sum "
    "--period 3600 --start-time $(date -u -d '-1 day' +%FT%TZ) --end-time $(date -u +%FT%TZ) "
    "--region {region}",
    "nat-gateway": "aws ec2 describe-nat-gateways --nat-gateway-ids {id} --region {region}",
    "dynamodb": "aws dynamodb describe-table --table-name {id} --region {region}",
}


def _reason(spike: Spike) -> str:
    unit = "$/h" if spike.priced else f"{spike.unit}/h"
    times = f"{spike.ratio:.1f}x" if spike.ratio is not None else "new usage, was 0"
    return (
        f"{spike.key.service} usage of {spike.key.resource}: {spike.amount:,.2f} {unit} "
        "in the hour "
        f"from {spike.hour:%H:00} UTC, {times} its usual {spike.normal:,.2f} at this hour"
    )


def document_for(tenant_id: str, found: Found, now: datetime) -> StoredAnomaly:
    """The anomaly record of one spike."""
    spike = found.spike
    key = spike.key
    return StoredAnomaly(
        _id=spike.anomaly_id,
        tenant_id=tenant_id,
        account_id=key.account_id,
        region=key.region,
        service=key.service,
        resource_type=f"{key.service}-usage",
        resource_ids=[key.resource],
        event_name=USAGE_EVENT,
        event_time=spike.since,
        estimated_hourly_cost=spike.amount if spike.priced else None,
        cost_note=found.note,
        details={
            "usageLabel": found.label,
            "usageUnit": "USD" if spike.priced else spike.unit,
            "usageAmount": round(spike.amount, 6),
            "usageNormal": round(spike.normal, 6),
            "usageRatio": round(spike.ratio, 2) if spike.ratio is not None else None,
            "usageHour": spike.hour.isoformat(),
            "usageCli": CLI[key.service].format(id=key.resource, region=key.region),
        },
        severity=spike.severity,
        score=min(1.0, (spike.ratio or 10.0) / 10.0),
        reasons=[_reason(spike)],
        created_at=now,
    )


async def record_spikes(
    store: Store, tenant_id: str, found: Iterable[Found], now: datetime
) -> list[str]:
    """Store each spike's anomaly (pending alert); the ids that were new."""
    new: list[str] = []
    for item in found:
        if await store.anomalies.insert(document_for(tenant_id, item, now)):
            new.append(item.spike.anomaly_id)
    return new
