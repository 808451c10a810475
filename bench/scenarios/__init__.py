"""Labelled CloudTrail scenarios for measuring the anomaly scorer (`python -m bench.scenarios`)."""

from bench.scenarios._model import (
    COST_EVENTS,
    INCIDENT_CATEGORIES,
    QUIET_CATEGORIES,
    Label,
    PriceBook,
    ScenarioError,
)
from bench.scenarios._plan import Config
from bench.scenarios.generator import Summary, generate, write

__all__ = [
    "COST_EVENTS",
    "INCIDENT_CATEGORIES",
    "QUIET_CATEGORIES",
    "Config",
    "Label",
    "PriceBook",
    "ScenarioError",
    "Summary",
    "generate",
    "write",
]
