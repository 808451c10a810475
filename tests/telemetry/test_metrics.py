"""The metrics the platform stack's alarms read are the ones the service emits (EMF on stdout),
with the same names and dimensions, and the pipeline counts what its error-rate alarm needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from pricing import load_catalogue
from storage import Store, StoreUnavailableError
from telemetry.metrics import METRICS, NAMESPACE, Metrics
from tests.cloudformation.templates import load_template, resources_of
from tests.stores import NOW
from tests.trails import run_instances

PLATFORM = Path(__file__).resolve().parents[2] / "cloudformation" / "dd0c-cost-platform.yaml"
CATALOGUE = load_catalogue()


def _alarm_metrics() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """(name, dimensions) of every dd0c/cost metric an alarm of the platform stack reads."""
    found = set()
    for alarm in resources_of(load_template(PLATFORM), "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        single = [props] if "MetricName" in props else []
        for metric in stats + single:
            if metric["Namespace"] != NAMESPACE:
                continue
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            found.add((metric["MetricName"], dims))
    return found


def _emitted(lines: list[str]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(name, dimensions) -> value of every metric in EMF lines, read the way CloudWatch does."""
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in lines:
        doc: dict[str, Any] = orjson.loads(line)
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            for dim_set in directive["Dimensions"]:
                dims = tuple(sorted((name, doc[name]) for name in dim_set))
                for metric in directive["Metrics"]:
                    values[(metric["Name"], dims)] = doc[metric["Name"]]
    return values


def test_the_platform_alarms_read_metrics_the_service_declares() -> None:
    alarms = _alarm_metrics()
    assert {name for name, _ in alarms} == {"EventsProcessed", "EventsFailed"}
    declared = {(m.name, (("Service", m.service),)) for m in METRICS.values()}
    assert alarms <= declared


async def test_the_pipeline_emits_what_the_error_rate_alarm_divides(store: Store) -> None:
    lines: list[str] = []
    metrics = Metrics(lambda: NOW, lines.append)
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW, metrics=metrics)
    good = orjson.dumps(run_instances("e-1", NOW, ["i-1"], "m5.large")).decode()
    assert (await pipeline.handle(Message("m-1", "rh-1", good, "g"))).outcome is Outcome.DONE
    poison = await pipeline.handle(Message("m-2", "rh-2", "{not json", "g"))
    assert poison.outcome is Outcome.POISON
    metrics.flush()
    emitted = _emitted(lines)
    for alarm_metric in _alarm_metrics():
        assert alarm_metric in emitted, f"the service never emits {alarm_metric}"
    ingest = (("Service", "ingest"),)
    assert emitted[("EventsProcessed", ingest)] == 2
    assert emitted[("EventsFailed", ingest)] == 1
    assert emitted[("EventsRejected", ingest)] == 1
    assert orjson.loads(lines[0])["_aws"]["Timestamp"] == int(NOW.timestamp() * 1000)


def test_a_flush_resets_the_counters_and_still_reports_zeros() -> None:
    lines: list[str] = []
    metrics = Metrics(lambda: NOW, lines.append)
    metrics.add("SlackDeliveriesFailed", 3)
    metrics.flush()
    assert _emitted(lines)[("SlackDeliveriesFailed", (("Service", "notifier"),))] == 3
    lines.clear()
    metrics.flush()
    assert _emitted(lines)[("SlackDeliveriesFailed", (("Service", "notifier"),))] == 0


def test_an_undeclared_metric_is_refused() -> None:
    with pytest.raises(KeyError, match="undeclared metric 'EventsLost'"):
        Metrics(lambda: NOW).add("EventsLost")


async def test_a_store_outage_counts_as_failed_events(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    metrics = Metrics(lambda: NOW, lines.append)
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW, metrics=metrics)

    async def down(*args: object, **kwargs: object) -> object:
        raise ServerSelectionTimeoutError("no servers")

    monkeypatch.setattr(store.events._col, "insert_one", down)  # under the storage boundary
    body = orjson.dumps(run_instances("e-1", NOW, ["i-1"], "m5.large")).decode()
    with pytest.raises(StoreUnavailableError):
        await pipeline.handle(Message("m-1", "rh-1", body, "g"))  # left for redelivery
    metrics.flush()
    ingest = (("Service", "ingest"),)
    emitted = _emitted(lines)
    assert (emitted[("EventsProcessed", ingest)], emitted[("EventsFailed", ingest)]) == (1, 1)
    assert emitted[("EventsRejected", ingest)] == 0  # not poison: SQS redelivers it
