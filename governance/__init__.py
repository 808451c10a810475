"""Governance (seed 10.5): policy.json, strict/audit modes with daily promotion, panic mode in
Redis, per-account overrides, and the pure delivery decision the notifier asks before posting."""

from __future__ import annotations

from governance.decision import Decision, Delivery, Facts, decide
from governance.errors import GovernanceError, PolicyError
from governance.panic import PanicState, PanicSwitch
from governance.policy import DEFAULT_PATH, Policy, load_policy, parse_policy, stricter
from governance.service import Governance, ModeChange, Promotion, Resumed

__all__ = [
    "DEFAULT_PATH",
    "Decision",
    "Delivery",
    "Facts",
    "Governance",
    "GovernanceError",
    "ModeChange",
    "PanicState",
    "PanicSwitch",
    "Policy",
    "PolicyError",
    "Promotion",
    "Resumed",
    "decide",
    "load_policy",
    "parse_policy",
    "stricter",
]
