"""Shared renderings: money, Slack dates, who did it, severity, what was launched."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from bot.blocks.limits import clip, escape
from pricing.catalogue import HOURS_PER_MONTH
from storage.anomalies import StoredAnomaly

NAME_MAX = 120  # a name, ARN or size inside a line: long enough for any real AWS name

SEVERITY_EMOJI = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "info": ":large_blue_circle:",
}

RESOURCE_LABELS: dict[str, str] = {
    "ec2:instance": "EC2 instance",
    "ec2:volume": "EBS volume",
    "ec2:natgateway": "NAT gateway",
    "ec2:elastic-ip": "Elastic IP",
    "ec2:traffic-mirror-session": "Traffic Mirroring session",
    "ec2:launch-template": "Launch template",
    "sagemaker:endpoint-config": "SageMaker endpoint configuration",
    "rds:db-instance": "RDS DB instance",
    "rds:db-cluster": "RDS DB cluster",
    "lambda:function": "Lambda function",
    "lambda:provisioned-concurrency": "Lambda provisioned concurrency",
    "autoscaling:group": "Auto Scaling group",
    "eks:cluster": "EKS cluster",
    "eks:nodegroup": "EKS node group",
    "redshift:cluster": "Redshift cluster",
    "elasticache:cache-cluster": "ElastiCache cluster",
    "elasticache:replication-group": "ElastiCache replication group",
    "sagemaker:notebook-instance": "SageMaker notebook instance",
    "sagemaker:endpoint": "SageMaker endpoint",
    "emr:cluster": "EMR cluster",
    "opensearch:domain": "OpenSearch domain",
    "elb:load-balancer": "Load balancer",
    "ec2:reserved-instances": "EC2 Reserved Instances (commitment)",
    "rds:reserved-db-instances": "RDS reserved DB instances (commitment)",
    "savingsplans:savings-plan": "Savings Plan (commitment)",
    "ec2:host-reservation": "Dedicated Host reservation (commitment)",
    "ec2:capacity-reservation": "EC2 capacity reservation",
    "ec2:dedicated-host": "EC2 Dedicated Host",
    "bedrock:provisioned-throughput": "Bedrock provisioned throughput",
    "sagemaker:training-job": "SageMaker training job",
    "ecs:task-definition": "ECS task definition",
    "ecs:service": "ECS service (Fargate)",
    "ecs:task": "ECS task (Fargate)",
}
# Usage-watch spikes (usage/, event UsageSpike): no resource launched, so no stop command here.
USAGE_LABELS: dict[str, str] = {
    "lambda-usage": "Lambda usage spike",
    "bedrock-usage": "Bedrock token spike",
    "nat-gateway-usage": "NAT gateway traffic spike",
    "dynamodb-usage": "DynamoDB request spike",
}

# The verb of a title, by the start of the event name; anything else "launched".
_VERBS: tuple[tuple[str, str], ...] = (
    ("Start", "started"),
    ("BidFulfilled", "started"),
    ("Modify", "changed"),
    ("Update", "changed"),
    ("Purchase", "bought"),
    ("CreateSavingsPlan", "bought"),
    ("SetDesiredCapacity", "scaled"),
    ("IncreaseReplicaCount", "scaled"),
    ("Resize", "changed"),
    ("Resume", "started"),
)


def usd(amount: float) -> str:
    """Dollars: 3 decimals under $1 ("$0.096"), else 2 with separators ("$1,234.50")."""
    sign = "-" if amount < 0 else ""
    value = round(abs(amount), 3)
    if value == 0 and amount != 0:
        return f"{sign}<$0.001"
    if value < 1:
        return f"{sign}${value:.3f}"
    return f"{sign}${value:,.2f}"


def per_month(hourly: float) -> str:
    """An hourly rate as ≈$/month (730 h): whole dollars, or cents under $10."""
    monthly = round(hourly * HOURS_PER_MONTH, 2)
    text = f"${abs(monthly):.2f}" if abs(monthly) < 10 else f"${abs(monthly):,.0f}"
    return f"≈{'-' if monthly < 0 else ''}{text}/month"


def known(amount: float | None) -> bool:
    """Whether a cost is a real number (None, NaN and infinities are unknown)."""
    return amount is not None and math.isfinite(amount)


def cost_text(hourly: float | None) -> str:
    """The cost line: "$0.096/h · ≈$70/month", or "unknown"."""
    if hourly is None or not known(hourly):
        return "unknown"
    return f"{usd(hourly)}/h · {per_month(hourly)}"


def hourly_text(hourly: float | None) -> str:
    """The hourly rate: "$0.096/h", or "$?/h" when unknown."""
    return f"{usd(hourly)}/h" if hourly is not None and known(hourly) else "$?/h"


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (naive values are UTC, as storage writes them)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def slack_date(value: datetime, tokens: str = "{date_short_pretty} {time}") -> str:
    """A date every reader sees in their own time zone, with a UTC fallback."""
    moment = as_utc(value)
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{tokens}|{fallback}>"


def _after_colons(arn: str, count: int) -> str:
    parts = arn.split(":", count)
    return parts[count] if len(parts) > count else ""


def _assumed_role(resource: str) -> str:
    _, role, *session = resource.split("/", 2)
    return f"{role} (session: {session[0]})" if session and session[0] else role


def _last(resource: str) -> str:
    return resource.rsplit("/", 1)[-1]


_ARN_RESOURCES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("assumed-role/", _assumed_role),
    ("role/", _last),
    ("user/", _last),
    ("federated-user/", lambda r: f"{_last(r)} (federated)"),
    ("root", lambda r: "root user"),
)


def who(arn: str | None, principal: str | None = None, session: str | None = None) -> str:
    """A readable actor (plain text): "Role (session: s)", "alice", "root user", a service."""
    name = arn or principal
    if not name:
        return "unknown"
    if not name.startswith("arn:"):
        return name  # an AWS service principal such as autoscaling.amazonaws.com
    resource = _after_colons(name, 5)
    for prefix, render in _ARN_RESOURCES:
        if resource.startswith(prefix):
            readable = render(resource)
            if session and prefix == "role/":
                readable = f"{readable} (session: {session})"
            return readable
    return name


def label(resource_type: str) -> str:
    """The readable name of a resource type ("EC2 instance"); unknown types as they are."""
    return RESOURCE_LABELS.get(resource_type) or USAGE_LABELS.get(resource_type, resource_type)


def what(anomaly: StoredAnomaly) -> str:
    """The thing launched, plain text: "p4d.24xlarge × 2" or "SageMaker endpoint"."""
    name = clip(anomaly.size, NAME_MAX) if anomaly.size else label(anomaly.resource_type)
    return f"{name} × {anomaly.quantity}" if anomaly.quantity != 1 else name


def verb(event_name: str) -> str:
    """What the call did to the resource: launched, started or changed."""
    for prefix, word in _VERBS:
        if event_name.startswith(prefix):
            return word
    return "launched"


def title(anomaly: StoredAnomaly) -> str:
    """Plain-text title: "Critical: p4d.24xlarge × 2 launched in us-east-1"."""
    region = clip(anomaly.region, NAME_MAX)
    return (
        f"{anomaly.severity.capitalize()}: {what(anomaly)} {verb(anomaly.event_name)} in {region}"
    )


def code(text: str) -> str:
    """Inline code (escaped; a backtick would end the span, so it becomes a quote)."""
    inner = escape(clip(text, NAME_MAX)).replace("`", "'")
    return f"`{inner}`"


def status_text(anomaly: StoredAnomaly, now: datetime) -> str:
    """mrkdwn status: "open", "snoozed until …", "expected", "resolved"."""
    until = anomaly.snooze_until
    if anomaly.status == "snoozed" and until is not None and as_utc(until) > as_utc(now):
        return f"snoozed until {slack_date(until)}"
    return anomaly.status


def compact_line(anomaly: StoredAnomaly, now: datetime) -> str:
    """One anomaly on one mrkdwn line, for lists, the digest and the Home tab."""
    actor = who(anomaly.actor_arn, anomaly.principal_arn, anomaly.session_name)
    return (
        f"{SEVERITY_EMOJI[anomaly.severity]} *{escape(what(anomaly))}* in "
        f"{code(anomaly.region)} · {hourly_text(anomaly.estimated_hourly_cost)} · "
        f"{escape(clip(actor, NAME_MAX))} · {slack_date(anomaly.event_time)} · "
        f"account {code(anomaly.account_id)} · _{status_text(anomaly, now)}_"
    )
