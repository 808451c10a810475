"""One parser per supported (eventSource, eventName); `PARSERS` is the registry.

`SUPPORTED_EVENTS` is the list the customer's EventBridge rule is built from.
"""

from __future__ import annotations

from engine.parsers import changes, clusters, configs, ec2, endings, rds, serverless
from engine.parsers._draft import Draft, NotCost, Parser

PARSERS: dict[tuple[str, str], Parser] = {
    **ec2.PARSERS,
    **rds.PARSERS,
    **serverless.PARSERS,
    **clusters.PARSERS,
    **endings.PARSERS,
    **changes.PARSERS,
    **configs.PARSERS,
}

SUPPORTED_EVENTS: tuple[tuple[str, str], ...] = tuple(sorted(PARSERS))

__all__ = ["PARSERS", "SUPPORTED_EVENTS", "Draft", "NotCost", "Parser"]
