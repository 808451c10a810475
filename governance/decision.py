"""The delivery decision (pure: no I/O, no clock): given one anomaly and the state around it,
post it now, leave it for the digest, hold it back, or drop it because alerting is paused.

    panic (global or this workspace)          -> paused     nothing is posted, in any mode
    the pattern is snoozed                    -> held-back  until the snooze ends
    info                                      -> digest     info never pages anyone
    fast path (> $5/h warning, > $25/h crit.) -> posted     in every mode: the safety net
    strict (learning)                         -> held-back  statistical finding, in the digest
    audit                                     -> posted

The severity is never changed: the decision is recorded beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Delivery = Literal["posted", "digest", "held-back", "paused", "kept"]
"""`kept`: held by an open circuit breaker (governance.service, flags.breaker) until replayed."""
Severity = Literal["info", "warning", "critical"]
Mode = Literal["strict", "audit"]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the decision depends on."""

    account_id: str
    severity: Severity
    fast_path: bool
    mode: Mode
    paused: bool = False
    paused_scope: str = ""
    snoozed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with the alert, and the sentence the audit log and the digest show."""

    delivery: Delivery
    reason: str

    @property
    def post_now(self) -> bool:
        """Whether the card is posted now."""
        return self.delivery == "posted"


def decide(facts: Facts) -> Decision:
    """The delivery of one anomaly (see the module docstring for the order of the rules)."""
    what = f"{facts.severity} alert for account {facts.account_id}"
    if facts.paused:
        scope = "for everyone" if facts.paused_scope == "global" else "for this workspace"
        return Decision("paused", f"{_cap(what)} not sent: alerting is paused {scope}")
    if facts.snoozed_until is not None:
        until = facts.snoozed_until.strftime("%Y-%m-%d %H:%M UTC")
        return Decision(
            "held-back", f"{_cap(what)} held back: its pattern is snoozed until {until}"
        )
    if facts.severity == "info":
        return Decision("digest", f"{_cap(what)} left for the daily digest (info never pages)")
    if facts.fast_path:
        return Decision(
            "posted", f"{_cap(what)} posted: cost-band alert, on in every mode from day one"
        )
    if facts.mode == "strict":
        return Decision(
            "held-back", f"{_cap(what)} suppressed by strict mode (held for the digest)"
        )
    return Decision("posted", f"{_cap(what)} posted in audit mode")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
