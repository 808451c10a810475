"""Telemetry: CloudWatch metrics (embedded metric format on stdout) and OpenTelemetry scoring
spans (OTLP/HTTP, batch). No I/O at import; the composition root builds and closes both."""

from __future__ import annotations

from telemetry.metrics import METRICS, NAMESPACE, MetricDef, Metrics
from telemetry.tracing import Hasher, Tracing, scoring_attributes, start_tracing

__all__ = [
    "METRICS",
    "NAMESPACE",
    "Hasher",
    "MetricDef",
    "Metrics",
    "Tracing",
    "scoring_attributes",
    "start_tracing",
]
