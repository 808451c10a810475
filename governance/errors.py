"""Governance errors.

GovernanceError
 └─ PolicyError        policy.json is missing, not JSON, or fails its schema (one line)
"""

from __future__ import annotations


class GovernanceError(Exception):
    """Base of every error raised by governance/."""


class PolicyError(GovernanceError):
    """policy.json cannot be used; the message is one line naming the field."""
