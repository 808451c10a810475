"""One parser per supported (eventSource, eventName); `PARSERS` is the registry.

`SUPPORTED_EVENTS` is the list the customer's EventBridge rule is built from.
"""

from __future__ import annotations

from engine.parsers import (
    capacity,
    changes,
    clusters,
    commitments,
    configs,
    containers,
    ec2,
    endings,
    rds,
    scaling,
    serverless,
)
from engine.parsers._draft import Draft, NotCost, Parser

# Parser families added by issue 14, by stable name: a feature flag can switch one off whole.
FAMILIES: dict[str, frozenset[tuple[str, str]]] = {
    module.FAMILY: frozenset(module.PARSERS)
    for module in (commitments, capacity, containers, scaling)
}

PARSERS: dict[tuple[str, str], Parser] = {
    **ec2.PARSERS,
    **rds.PARSERS,
    **serverless.PARSERS,
    **clusters.PARSERS,
    **endings.PARSERS,
    **changes.PARSERS,
    **configs.PARSERS,
    **commitments.PARSERS,
    **capacity.PARSERS,
    **containers.PARSERS,
    **scaling.PARSERS,
}

SUPPORTED_EVENTS: tuple[tuple[str, str], ...] = tuple(sorted(PARSERS))

__all__ = ["FAMILIES", "PARSERS", "SUPPORTED_EVENTS", "Draft", "NotCost", "Parser"]
