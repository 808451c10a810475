"""The severity floor of a commitment: money committed at once cannot be stopped, only sold on
or returned, so a large (or unknown) one is at least a warning whatever the hourly band says.

Pure: `commitment_anomaly` raises the scorer's anomaly (or makes one) and names who committed
what; docs/decisions/0007-commitments-floor.json records the two thresholds.
"""

from __future__ import annotations

from engine.models import Anomaly, Commitment, CostEvent
from engine.thresholds import Level, Thresholds

_ORDER: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
_KINDS = {
    "ec2-reserved-instances": "EC2 Reserved Instances",
    "rds-reserved-instances": "RDS reserved DB instances",
    "savings-plan": "a Savings Plan",
    "host-reservation": "a Dedicated Host reservation",
    "bedrock-provisioned-throughput": "Bedrock provisioned throughput",
}


def commitment_level(commitment: Commitment, t: Thresholds) -> Level | None:
    """Critical from `commitment_critical_usd`, warning from `commitment_warning_usd` or unknown."""
    total = commitment.total_usd
    if total is None:
        return "warning"
    if total >= t.commitment_critical_usd:
        return "critical"
    if total >= t.commitment_warning_usd:
        return "warning"
    return None


def _term(commitment: Commitment) -> str:
    years = commitment.term_years
    if years is None:
        return "an unknown term"
    if years >= 1 and float(years).is_integer():
        return f"{years:.0f} year" + ("s" if years > 1 else "")
    return f"{commitment.term_hours:,} hours"


def commitment_reason(event: CostEvent, commitment: Commitment) -> str:
    """Who committed what, for how long, and that a stop command cannot undo it."""
    who = event.actor.principal_arn or event.actor.arn or "an unknown principal"
    what = _KINDS.get(commitment.kind, commitment.kind)
    if commitment.count > 1:
        what = f"{commitment.count} × {what}"
    if commitment.total_usd is None:
        amount = f"an unknown amount ({commitment.note or 'not in the record'})"
    else:
        amount = f"${commitment.total_usd:,.2f} over {_term(commitment)}"
    return (
        f"{who} committed {amount} to {what}: owed whether used or not, "
        "and no stop or delete command undoes it"
    )


def commitment_anomaly(event: CostEvent, anomaly: Anomaly | None, t: Thresholds) -> Anomaly | None:
    """The anomaly raised to the commitment's floor (with its reason), or as it was."""
    commitment = event.commitment
    if commitment is None:
        return anomaly
    floor = commitment_level(commitment, t)
    if floor is None:
        return anomaly
    reason = commitment_reason(event, commitment)
    if anomaly is None:
        signals = {"commitment": 1.0, "hourlyRate": event.estimated_hourly_cost or 0.0}
        return Anomaly(severity=floor, score=1.0, reasons=(reason,), signals=signals)
    severity = anomaly.severity if _ORDER[anomaly.severity] >= _ORDER[floor] else floor
    return Anomaly(
        severity=severity,
        score=max(anomaly.score, 0.5 if floor == "warning" else 1.0),
        reasons=(reason, *anomaly.reasons),
        signals={**anomaly.signals, "commitment": 1.0},
    )
