"""OpenTelemetry spans for scoring decisions (seed 10.4), exported over OTLP/HTTP in batches.

Off unless an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); every other `OTEL_*` variable (service name, headers,
timeout, batch sizes, `OTEL_SDK_DISABLED`) is read by the SDK itself. Span creation never blocks:
the batch processor exports from its own thread, so a dead collector costs the pipeline nothing
(its shutdown waits at most the exporter timeout, 2 s unless `OTEL_EXPORTER_OTLP_TIMEOUT` says).

No PII leaves the process: account ids and ARNs are hashed with a keyed HMAC-SHA256
(`DD0C_TELEMETRY_HASH_KEY`), so a span can be correlated with others of the same account but
never turned back into the id without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Tracer
from opentelemetry.util.types import AttributeValue

if TYPE_CHECKING:
    from engine import CostEvent
    from engine.scoring import Verdict

SCORING_SPAN = "anomaly_scoring"
MESSAGE_SPAN = "ingest_message"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
DEFAULT_TIMEOUT = 2.0
"""Seconds the exporter waits for the collector (the SDK's 10 s stalls shutdown when it is down)."""


class Hasher:
    """Keyed hash of identifiers (account ids, ARNs): 32 hex characters, stable per key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the telemetry hash key needs at least 16 bytes")
        self._key = key

    def __call__(self, value: str) -> str:
        """The value's keyed hash."""
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return "Hasher(key=***)"


@dataclass
class Tracing:
    """The tracer the pipeline uses, the hasher, and the provider to shut down."""

    tracer: Tracer
    hasher: Hasher
    provider: TracerProvider

    def shutdown(self) -> None:
        """Export what is queued (bounded by the exporter timeout) and stop."""
        self.provider.shutdown()


def endpoint_set(environ: Mapping[str, str]) -> bool:
    """Whether spans are exported: an OTLP endpoint is set and the SDK is not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def start_tracing(
    key: bytes,
    environ: Mapping[str, str] | None = None,
    exporter: SpanExporter | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Tracing | None:
    """The tracer exporting over OTLP/HTTP in batches, or None when no endpoint is set.

    `exporter` replaces the OTLP exporter (tests pass the in-memory one).
    """
    env = os.environ if environ is None else environ
    if exporter is None:
        if not endpoint_set(env):
            return None
        exporter = _otlp_exporter(env, timeout)
    provider = TracerProvider(resource=Resource.create({"service.name": "dd0c-cost"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider.get_tracer("dd0c.cost.scoring"), Hasher(key), provider)


def _otlp_exporter(env: Mapping[str, str], timeout: float) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    seconds = None if _has_timeout(env) else timeout  # None: the SDK reads OTEL_*_TIMEOUT
    traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if not traces:
        traces = env["OTEL_EXPORTER_OTLP_ENDPOINT"].strip().rstrip("/") + "/v1/traces"
    return OTLPSpanExporter(endpoint=traces, timeout=seconds)


def _has_timeout(env: Mapping[str, str]) -> bool:
    names = ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
    return any(env.get(name) for name in names)


def scoring_attributes(
    event: CostEvent, verdict: Verdict, flags_on: Iterable[str], hasher: Hasher
) -> dict[str, AttributeValue]:
    """The `anomaly_scoring` span's attributes (seed 10.4): no raw account id or ARN."""
    anomaly, signals = verdict.anomaly, verdict.signals
    attributes: dict[str, AttributeValue] = {
        "cost.account_id_hash": hasher(event.account_id),
        "cost.actor_arn_hash": hasher(event.actor.principal_arn or event.actor.arn or ""),
        "cost.service": event.service,
        "cost.event_name": event.event_name,
        "cost.anomaly_score": anomaly.score if anomaly else 0.0,
        "cost.z_score": signals.z if signals.z is not None else 0.0,
        "cost.instance_novelty": float(signals.size_novel),
        "cost.actor_novelty": float(signals.actor_novel),
        "cost.alert_triggered": anomaly is not None,
        "cost.severity": anomaly.severity if anomaly else "none",
        "cost.phase": verdict.phase,
        "cost.baseline_days": round(verdict.baseline_days, 3),
        "cost.flags_on": sorted(flags_on),
    }
    if verdict.phase != "mature" or verdict.fast_path:
        attributes["cost.fast_path_triggered"] = verdict.fast_path
        attributes["cost.hourly_rate"] = event.estimated_hourly_cost or 0.0
    return attributes
