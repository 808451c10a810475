"""The engine's value types: the CostEvent contract (DESIGN.md) and what the scorer returns.

Every model here is frozen. Field names are snake_case in Python and camelCase in JSON
(the contract other people depend on), through pydantic aliases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Action = Literal["launch", "start", "stop", "terminate", "modify", "delete", "configure"]
"""`configure`: a launch template or endpoint configuration, remembered to price what uses it."""
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


HOURS_PER_YEAR = 8_760

CommitmentKind = Literal[
    "ec2-reserved-instances",
    "rds-reserved-instances",
    "savings-plan",
    "host-reservation",
    "bedrock-provisioned-throughput",
]


class Commitment(_Frozen):
    """Money committed at once (a reservation, a Savings Plan): owed whether used or not.

    `total_usd` is what the whole term costs (upfront + hourly x term hours), None when the
    record does not say (then `reason` says why); `term_hours` is the term (8,760 h a year),
    None when the record does not name it. A stop or delete command cannot undo it.
    """

    kind: CommitmentKind
    total_usd: float | None = Field(default=None, ge=0)
    upfront_usd: float | None = Field(default=None, ge=0)
    hourly_usd: float | None = Field(default=None, ge=0)
    term_hours: int | None = Field(default=None, ge=0)
    count: int = Field(default=1, ge=0)
    offering_id: str | None = Field(default=None, max_length=256)
    note: str | None = None

    @property
    def term_years(self) -> float | None:
        """The term in years (8,760 hours each), or None when unknown."""
        return None if self.term_hours is None else self.term_hours / HOURS_PER_YEAR


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
    # A commitment ("committed $X over N years") next to the hourly estimate; None for
    # pay-as-you-go resources. The hourly estimate of a commitment is its cost per hour of term.
    commitment: Commitment | None = None

    def to_json_dict(self) -> dict[str, object]:
        """The contract's JSON shape (camelCase, ISO times with Z)."""
        out = self.model_dump(
            mode="json", by_alias=True, exclude={"volumes", "details", "commitment"}
        )
        out["eventTime"] = self.event_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.volumes:
            out["volumes"] = [v.model_dump(by_alias=True) for v in self.volumes]
        if self.details:
            out["details"] = dict(self.details)
        if self.commitment is not None:
            out["commitment"] = self.commitment.model_dump(mode="json", by_alias=True)
        return out


class Skipped(_Frozen):
    """A record that is not a cost event, or could not be read, and why."""

    kind: Literal["skipped"] = "skipped"
    event_id: str | None
    event_name: str | None
    reason: str
    malformed: bool = False
