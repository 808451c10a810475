"""The REST API's request and response models: the handlers use them and `api.openapi` turns
the same models into the OpenAPI 3.1 document (so the two cannot drift apart)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

AccountId = Field(pattern=r"^\d{12}$", description="the 12-digit AWS account id")


class Model(BaseModel):
    """camelCase on the wire, unknown request fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Problem(Model):
    """An RFC 9457 problem (`application/problem+json`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = Field(default=None, description="a stable code for programs")
    upgrade_url: str | None = Field(default=None, description="where to upgrade (free plan)")


class BaselineMaturity(Model):
    """Whether the account's baselines are still learning (14 days), and how long is left."""

    state: Literal["learning", "mature", "not-watched"]
    learning_days_left: int = Field(ge=0)


class BurnRate(Model):
    """What the account's running resources cost now."""

    hourly_usd: float
    monthly_usd: float
    running: int
    unpriced: int


class AccountOut(Model):
    """One connected AWS account."""

    account_id: str
    status: Literal["pending", "active", "disconnecting", "disconnected", "paused"]
    name: str | None = None
    connected_at: datetime
    baseline_maturity: BaselineMaturity
    burn_rate: BurnRate


class AccountList(Model):
    """The workspace's accounts."""

    accounts: list[AccountOut]
    plan: Literal["free", "pro"]


class AccountHealth(Model):
    """Whether an account is connected and watched (polled after launching the stack)."""

    account_id: str
    status: Literal["pending", "active", "disconnecting", "disconnected", "paused"]
    connected: bool
    role_arn: str | None = None
    connected_at: datetime
    last_zombie_scan_at: datetime | None = None
    detail: str


class Disconnecting(Model):
    """A disconnect accepted: events are dropped from now on, data deleted within the window."""

    account_id: str
    status: Literal["disconnecting", "disconnected"]
    data_deleted_within_hours: int


class SetupOut(Model):
    """What connecting an account needs: the workspace's ExternalId and the quick-create link."""

    external_id: str
    quick_create_url: str | None = Field(
        description="null when the service has no one-click stack configured"
    )


class ConnectIn(Model):
    """A role to validate and connect (the stack's outputs, entered by hand)."""

    account_id: str = Field(pattern=r"^\d{12}$", description="the 12-digit AWS account id")
    role_arn: str = Field(min_length=20, max_length=2048)


class AnomalyOut(Model):
    """One anomaly."""

    id: str
    account_id: str
    region: str
    service: str
    resource_type: str
    resource_ids: list[str]
    size: str | None
    quantity: int
    event_name: str
    event_time: datetime
    actor_arn: str | None
    estimated_hourly_cost: float | None
    severity: Literal["info", "warning", "critical"]
    score: float
    reasons: list[str]
    status: Literal["open", "snoozed", "expected", "resolved"]
    created_at: datetime
    delivery: Literal["posted", "digest", "held-back", "paused"] | None
    slack_message_url: str | None


class AnomalyPage(Model):
    """One page of anomalies, newest first; `nextCursor` fetches the next (null: no more)."""

    anomalies: list[AnomalyOut]
    next_cursor: str | None


class SensitivityIn(Model):
    """How readily the baseline alerts."""

    sensitivity: Literal["low", "medium", "high"]


class SensitivityOut(Model):
    """The baseline's sensitivity from now on."""

    account_id: str
    service: str
    resource_type: str
    sensitivity: Literal["low", "medium", "high"]


class CheckoutOut(Model):
    """A Stripe Checkout session for Pro: open `url` to pay."""

    url: str
    session_id: str
    quantity: int = Field(ge=1, description="connected accounts billed ($19 each per month)")
