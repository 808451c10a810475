"""Scoring spans (seed 10.4) exported over real OTLP/HTTP to a local receiver: the seed's
attributes, the consumer's per-message span as parent, no raw account id or ARN in any byte,
and the pipeline unaffected when the collector is down."""

from __future__ import annotations

import socket

import orjson
import pytest

from flags import Switches
from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from pricing import load_catalogue
from storage import Store
from telemetry.tracing import MESSAGE_SPAN, SCORING_SPAN, Hasher, endpoint_set, start_tracing
from tests.stores import NOW
from tests.telemetry.otlp_receiver import attributes, otlp_receiver
from tests.trails import ACCOUNT, WHO, run_instances

CATALOGUE = load_catalogue()
KEY = b"telemetry-test-key-0123456789"
SEED_ATTRIBUTES = {
    "cost.account_id_hash",
    "cost.service",
    "cost.anomaly_score",
    "cost.z_score",
    "cost.instance_novelty",
    "cost.actor_novelty",
    "cost.alert_triggered",
    "cost.baseline_days",
}


def message(record: dict[str, object], n: int) -> Message:
    return Message(f"m-{n}", f"rh-{n}", orjson.dumps(record).decode(), ACCOUNT)


async def test_scoring_spans_reach_the_collector_with_the_seed_attributes_and_no_pii(
    store: Store,
) -> None:
    with otlp_receiver() as (endpoint, received):
        # A generous timeout: the export must not give up on a loaded machine.
        tracing = start_tracing(KEY, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, timeout=30)
        assert tracing is not None
        switches = Switches()  # the repository's flags.json
        switches.start()
        pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW, tracing=tracing, switches=switches)
        big = run_instances("e-1", NOW, ["i-1", "i-2"], "p4d.24xlarge")
        small = run_instances("e-2", NOW, ["i-3"], "t3.nano")
        for n, record in enumerate((big, small)):
            assert (await pipeline.handle(message(record, n))).outcome is Outcome.DONE
        tracing.shutdown()  # flushes the batch
        switches.shutdown()
    assert set(received.paths) == {"/v1/traces"}
    scoring, messages = received.named(SCORING_SPAN), received.named(MESSAGE_SPAN)
    assert len(scoring) == 2 and len(messages) == 2
    by_parent = {m.span_id: m for m in messages}
    for span in scoring:
        assert span.parent_span_id in by_parent  # the per-message span is the parent
        assert span.trace_id == by_parent[span.parent_span_id].trace_id
    first, second = sorted(scoring, key=lambda s: -attributes(s)["cost.anomaly_score"])
    alert = attributes(first)
    assert SEED_ATTRIBUTES <= set(alert)
    assert alert["cost.account_id_hash"] == Hasher(KEY)(ACCOUNT)
    assert alert["cost.service"] == "ec2" and alert["cost.alert_triggered"] is True
    assert alert["cost.fast_path_triggered"] is True  # no baseline: the cost band decided
    unit = CATALOGUE.ec2("p4d.24xlarge", "us-east-1").usd
    assert unit is not None and alert["cost.hourly_rate"] == pytest.approx(2 * unit)
    assert "detector.sizeJump" in alert["cost.flags_on"]
    assert "scoring.z-medium-2.0" not in alert["cost.flags_on"]
    quiet = attributes(second)
    assert quiet["cost.alert_triggered"] is False and quiet["cost.anomaly_score"] == 0.0
    everything = b"".join(received.bodies)
    for secret in (ACCOUNT.encode(), WHO.encode(), b"alice", KEY):
        assert secret not in everything


async def test_the_pipeline_is_unaffected_when_the_collector_is_down(store: Store) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    tracing = start_tracing(KEY, {"OTEL_EXPORTER_OTLP_ENDPOINT": dead})
    assert tracing is not None
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW, tracing=tracing)
    record = run_instances("e-1", NOW, ["i-1", "i-2"], "p4d.24xlarge")
    assert (await pipeline.handle(message(record, 1))).outcome is Outcome.DONE
    anomaly = await store.anomalies.get("t1", "e-1")
    assert anomaly is not None and anomaly.severity == "critical"
    tracing.shutdown()  # gives up after the exporter's timeout; nothing raised


def test_tracing_is_off_unless_an_endpoint_is_set() -> None:
    assert start_tracing(KEY, {}) is None
    assert not endpoint_set({"OTEL_EXPORTER_OTLP_ENDPOINT": "  "})
    assert not endpoint_set(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}
    )
    assert endpoint_set({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://x/v1/traces"})


def test_the_hash_is_keyed_and_the_key_never_shown() -> None:
    assert Hasher(KEY)(ACCOUNT) != Hasher(KEY + b"x")(ACCOUNT)
    assert len(Hasher(KEY)(ACCOUNT)) == 32 and ACCOUNT not in Hasher(KEY)(ACCOUNT)
    assert "telemetry" not in repr(Hasher(KEY))
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Hasher(b"short")
