"""The engine's value types: the CostEvent contract (DESIGN.md) and what the scorer returns.

Every model here is frozen. Field names are snake_case in Python and camelCase in JSON
(the contract other people depend on), through pydantic aliases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Action = Literal["launch", "start", "stop", "terminate", "modify", "delete"]
Severity = Literal["info", "warning", "critical"]
PricingModel = Literal["on-demand", "spot"]

# Actions that start spending money and so are scored; the others end or change spending.
COST_INCREASING: frozenset[str] = frozenset({"launch", "start", "modify"})


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
    )


class Actor(_Frozen):
    """Who made the call: the ARN as logged, and the stable principal behind it."""

    arn: str | None
    type: str
    principal_arn: str | None
    invoked_by: str | None = None
    session_name: str | None = None


class PricingKey(_Frozen):
    """The attributes that choose a price besides size and region."""

    model: PricingModel = "on-demand"
    os: str | None = None
    engine: str | None = None
    multi_az: bool = False


class Volume(_Frozen):
    """An EBS volume an event creates (alone or in a block-device mapping)."""

    volume_type: str
    size_gib: int


class Anomaly(_Frozen):
    """The scorer's verdict on one event."""

    severity: Severity
    score: float
    reasons: tuple[str, ...]
    signals: dict[str, float] = Field(default_factory=dict)


class CostEvent(_Frozen):
    """One CloudTrail API call that starts, changes or stops spending, with its hourly cost."""

    kind: Literal["costEvent"] = "costEvent"
    event_id: str
    event_name: str
    event_source: str
    event_time: datetime
    account_id: str
    region: str
    actor: Actor
    action: Action
    service: str
    resource_type: str
    resource_ids: tuple[str, ...] = ()
    size: str | None = None
    quantity: int = Field(default=1, ge=0)
    pricing: PricingKey = Field(default_factory=PricingKey)
    volumes: tuple[Volume, ...] = ()
    # Service-specific facts the pricing step needs (memory MB, concurrency, LB type, …).
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    unit_hourly_cost: float | None = None
    estimated_hourly_cost: float | None = None
    cost_note: str | None = None
    anomaly: Anomaly | None = None
    # Where the call came from (`sourceIPAddress`, `userAgent`): the unfamiliar-origin signal.
    source_ip: str | None = Field(default=None, max_length=256)
    user_agent: str | None = Field(default=None, max_length=1024)

    def to_json_dict(self) -> dict[str, object]:
        """The contract's JSON shape (camelCase, ISO times with Z)."""
        out = self.model_dump(mode="json", by_alias=True, exclude={"volumes", "details"})
        out["eventTime"] = self.event_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.volumes:
            out["volumes"] = [v.model_dump(by_alias=True) for v in self.volumes]
        if self.details:
            out["details"] = dict(self.details)
        return out


class Skipped(_Frozen):
    """A record that is not a cost event, or could not be read, and why."""

    kind: Literal["skipped"] = "skipped"
    event_id: str | None
    event_name: str | None
    reason: str
    malformed: bool = False
