"""The service's CloudWatch metrics, published in the embedded metric format (EMF) on stdout.

One JSON line per dimension set and flush (every `METRICS_INTERVAL` seconds and at shutdown):
the container's log driver (awslogs / CloudWatch agent / Fluent Bit) hands the lines to
CloudWatch Logs, which turns them into metrics, with no API call on the hot path and no
credentials in the process. The names and dimensions are the ones the platform stack's alarms
read (`cloudformation/dd0c-cost-platform.yaml`); tests/telemetry/test_metrics.py keeps them equal.

    EventsProcessed        Service=ingest     CloudTrail records in handled messages
    EventsFailed           Service=ingest     records of messages that failed (poison or retry)
    EventsRejected         Service=ingest     messages rejected as poison (bound for the DLQ)
    SlackDeliveriesFailed  Service=notifier   alerts that ended `failed`
    BreakerTrips           Service=governance circuit breakers opened (flagged rule flooding)
    AlertsKept             Service=governance alerts kept by an open breaker instead of posted
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import orjson

NAMESPACE = "dd0c/cost"


@dataclass(frozen=True, slots=True)
class MetricDef:
    """One metric: its name and its one dimension (Service=<value>)."""

    name: str
    service: str
    unit: str = "Count"


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef("EventsProcessed", "ingest"),
        MetricDef("EventsFailed", "ingest"),
        MetricDef("EventsRejected", "ingest"),
        MetricDef("SlackDeliveriesFailed", "notifier"),
        MetricDef("BreakerTrips", "governance"),
        MetricDef("AlertsKept", "governance"),
    )
}


class Metrics:
    """Counters since the last flush; `flush` writes one EMF line per Service (thread-safe)."""

    def __init__(
        self, clock: Callable[[], datetime], sink: Callable[[str], None] | None = None
    ) -> None:
        self._clock = clock
        self._sink = sink or _stdout
        self._counts: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, name: str, value: float = 1) -> None:
        """Count `value` more of a metric declared in METRICS (an unknown name is a bug)."""
        if name not in METRICS:
            raise KeyError(f"undeclared metric {name!r}: add it to telemetry.metrics.METRICS")
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + value

    def flush(self) -> list[dict[str, object]]:
        """Write what was counted since the last flush (zeros included); the documents."""
        with self._lock:
            counts, self._counts = self._counts, {}
        millis = int(self._clock().timestamp() * 1000)
        docs = [_document(service, counts, millis) for service in _services()]
        for doc in docs:
            self._sink(orjson.dumps(doc).decode())
        return docs


def _services() -> list[str]:
    return sorted({m.service for m in METRICS.values()})


def _document(service: str, counts: dict[str, float], millis: int) -> dict[str, object]:
    defs = [m for m in METRICS.values() if m.service == service]
    doc: dict[str, object] = {
        "_aws": {
            "Timestamp": millis,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Service"]],
                    "Metrics": [{"Name": m.name, "Unit": m.unit} for m in defs],
                }
            ],
        },
        "Service": service,
    }
    doc.update({m.name: counts.get(m.name, 0) for m in defs})
    return doc


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
