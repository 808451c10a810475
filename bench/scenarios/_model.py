"""Value types shared by the generator's modules: labels, generated events, the price book."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal, Protocol

from bench.scenarios._identities import Actor

LabelKind = Literal["normal", "incident"]
# Label categories: what kind of incident, or which quiet pattern a normal call belongs to.
INCIDENT_CATEGORIES = (
    "expensive",
    "day0",
    "new-region",
    "count-burst",
    "rate-burst",
    "size-jump",
    "new-principal",
    "unfamiliar-origin",
    "repeat-compromise",
    "stat-odd",
    # issue 14: money committed or reserved, and containers scaled, without a launch call
    "commitment",
    "capacity",
    "containers",
)
QUIET_CATEGORIES = (
    "normal",
    "lifecycle",
    "second-ci-role",
    "generation-migration",
    "recurring-cold-start",
)
# Calls that stop or remove spend: their normal labels get the `lifecycle` category.
LIFECYCLE_EVENTS = frozenset({"StopInstances", "TerminateInstances", "DeleteDBInstance"})

# The cost-relevant calls, by (eventSource, eventName): every generated record with one of these
# gets a line in labels.jsonl, and no noise record uses one.
COST_EVENTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("ec2.amazonaws.com", "RunInstances"),
        ("ec2.amazonaws.com", "StartInstances"),
        ("ec2.amazonaws.com", "StopInstances"),
        ("ec2.amazonaws.com", "TerminateInstances"),
        ("ec2.amazonaws.com", "CreateVolume"),
        ("rds.amazonaws.com", "CreateDBInstance"),
        ("rds.amazonaws.com", "DeleteDBInstance"),
        ("lambda.amazonaws.com", "CreateFunction20150331"),
        ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"),
        ("lambda.amazonaws.com", "PutProvisionedConcurrencyConfig"),
        ("autoscaling.amazonaws.com", "CreateAutoScalingGroup"),
        ("autoscaling.amazonaws.com", "UpdateAutoScalingGroup"),
        ("eks.amazonaws.com", "CreateNodegroup"),
        ("redshift.amazonaws.com", "CreateCluster"),
        ("elasticache.amazonaws.com", "CreateReplicationGroup"),
        ("sagemaker.amazonaws.com", "CreateNotebookInstance"),
        # issue 14 (bench/scenarios/_commitments.py)
        ("savingsplans.amazonaws.com", "CreateSavingsPlan"),
        ("ec2.amazonaws.com", "CreateCapacityReservation"),
        ("bedrock.amazonaws.com", "CreateProvisionedModelThroughput"),
        ("ecs.amazonaws.com", "RegisterTaskDefinition"),
        ("ecs.amazonaws.com", "CreateService"),
        ("ecs.amazonaws.com", "UpdateService"),
    }
)


class ScenarioError(Exception):
    """The generator cannot build what was asked (a bad option, or a price the catalogue lacks)."""


class PriceBook(Protocol):
    """On-demand USD per hour, or None when the catalogue has no price."""

    def ec2(self, instance_type: str, region: str, os: str = "linux") -> float | None: ...

    def rds(
        self, db_class: str, region: str, engine: str, multi_az: bool = False
    ) -> float | None: ...

    def redshift(self, node_type: str, region: str) -> float | None: ...

    def sagemaker(self, instance_type: str, region: str) -> float | None: ...

    def elasticache(self, node_type: str, region: str) -> float | None: ...


@dataclass(frozen=True)
class Label:
    """Ground truth for one cost-relevant record."""

    kind: LabelKind
    scenario: str
    description: str
    min_hourly_usd: float | None = None
    incident_id: str | None = None
    # What kind of incident or quiet pattern this is (`expensive`, `new-region`, `lifecycle`, …);
    # None until the account records the call, which fills in `normal` or `lifecycle`.
    category: str | None = None


def categorised(label: Label, event_name: str) -> Label:
    """The label with its category filled in: lifecycle for stop/delete calls, else normal."""
    if label.category is not None:
        return label
    lifecycle = label.kind == "normal" and event_name in LIFECYCLE_EVENTS
    return replace(label, category="lifecycle" if lifecycle else label.kind)


@dataclass(frozen=True)
class Event:
    """One generated CloudTrail record, where it is delivered, and its label if cost-relevant."""

    when: datetime
    account: str
    region: str
    record: dict[str, Any]
    label: Label | None = None
    actor: Actor | None = None


def floor_cents(unit_usd: float | None, quantity: int, what: str) -> float:
    """Quantity x unit price, floored to cents; a missing price is an error, never a guess."""
    if unit_usd is None:
        raise ScenarioError(f"the price catalogue has no on-demand price for {what}")
    total = Decimal(str(unit_usd)) * quantity
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_FLOOR))
