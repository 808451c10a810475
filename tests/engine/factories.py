"""Builders for engine values in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from engine import Actor, CostEvent

T0 = datetime(2026, 10, 1, tzinfo=UTC)
_ids = count(1)


def actor(principal: str = "arn:aws:iam::111122223333:role/ci") -> Actor:
    """An actor whose stable principal is `principal`."""
    return Actor(arn=principal, type="AssumedRole", principal_arn=principal)


def event(
    cost: float | None = 0.096,
    *,
    size: str | None = "m5.large",
    who: str = "arn:aws:iam::111122223333:role/ci",
    at: datetime = T0,
    quantity: int = 1,
    region: str = "us-east-1",
    action: str = "launch",
    account: str = "111122223333",
    **extra: Any,
) -> CostEvent:
    """A priced launch event; every field can be overridden."""
    fields: dict[str, Any] = {
        "event_id": f"evt-{next(_ids)}",
        "event_name": "RunInstances",
        "event_source": "ec2.amazonaws.com",
        "event_time": at,
        "account_id": account,
        "region": region,
        "actor": actor(who),
        "action": action,
        "service": "ec2",
        "resource_type": "ec2:instance",
        "size": size,
        "quantity": quantity,
        "unit_hourly_cost": None if cost is None else cost / quantity,
        "estimated_hourly_cost": cost,
    }
    fields.update(extra)
    return CostEvent(**fields)


def days(n: float) -> timedelta:
    """n days."""
    return timedelta(days=n)
