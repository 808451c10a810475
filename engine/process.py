"""What one event needs and changes: the engine's half of the one event processor.

    keys_for(event)            which state to load (baseline, principal profile, account profile)
    evaluate(event, state)     the verdict (engine.scoring)
    learning(event, verdict)   the deltas to apply afterwards, derived from the event and the
                               STORED verdict only, so a retry after a crash applies the same ones

The orchestrator (`ingest.processor.EventProcessor`) loads the state through ports, calls these and
writes the deltas through the same ports: MongoDB in the service, dictionaries in the backtest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from engine.baselines import BaselineDelta, BaselineKey, delta_for
from engine.models import COST_INCREASING, CostEvent
from engine.profiles import ACCOUNT, ProfileDelta, ProfileKey, agent_family, network_of
from engine.scoring import Verdict


@dataclass(frozen=True, slots=True)
class StateKeys:
    """The state an event is scored against."""

    baseline: BaselineKey
    principal: ProfileKey | None
    account: ProfileKey


class Learning(NamedTuple):
    """What the event teaches, applied once each after the verdict is stored."""

    baseline: BaselineDelta | None
    profiles: tuple[ProfileDelta, ...]


def keys_for(event: CostEvent) -> StateKeys:
    """The baseline and profiles an event is scored against."""
    return _keys(event.account_id, event.actor.principal_arn, event.service, event.resource_type)


@lru_cache(maxsize=8192)
def _keys(account: str, principal: str | None, service: str, resource_type: str) -> StateKeys:
    return StateKeys(
        baseline=BaselineKey(account, service, resource_type),
        principal=ProfileKey(account, principal) if principal else None,
        account=ProfileKey(account, ACCOUNT),
    )


def _teaches(event: CostEvent) -> bool:
    return event.action in COST_INCREASING and not event.details.get("spotFulfilment")


def profile_deltas(
    event: CostEvent, verdict: Verdict, keys: StateKeys | None = None
) -> tuple[ProfileDelta, ...]:
    """The principal's and the account's profile updates for one cost-increasing event."""
    if not _teaches(event):
        return ()
    keys = keys or keys_for(event)
    account = ProfileDelta(keys.account, event.event_id, event.event_time, event.region)
    if keys.principal is None:
        return (account,)
    principal = ProfileDelta(
        key=keys.principal,
        event_id=event.event_id,
        event_time=event.event_time,
        region=event.region,
        network=network_of(event.source_ip),
        agent=agent_family(event.user_agent),
        resource_type=event.resource_type,
        quantity=event.quantity,
        rate_window=verdict.signals.rate_settled or None,
    )
    return (principal, account)


def learning(event: CostEvent, verdict: Verdict, keys: StateKeys | None = None) -> Learning:
    """Everything the event adds to the state (none for events that start no spending)."""
    return Learning(delta_for(event), profile_deltas(event, verdict, keys))
