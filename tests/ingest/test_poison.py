"""Poison is decided on the first receive: out-of-range times, deep nesting, overflow, any body.

Through the pipeline alone, through the consumer on moto's SQS (one receive, the reason
recorded, no ERROR traceback, the rest of the FIFO group goes on), and fuzzed with hypothesis.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.records import MAX_JSON_DEPTH
from ingest.consumer import Consumer, ConsumerConfig
from ingest.messages import Message, Outcome, Result
from ingest.pipeline import Pipeline
from pricing import load_catalogue
from storage import Store
from tests.aws import counts, create_queues, eventually, send, unique_name
from tests.stores import NOW
from tests.trails import ACCOUNT, run_instances

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

CATALOGUE = load_catalogue()


def far_future(event_id: str) -> dict[str, Any]:
    """A RunInstances whose eventTime is 9999-12-31 (once an OverflowError in Events.claim)."""
    rec = run_instances(event_id, NOW, ["i-1"])
    rec["eventTime"] = "9999-12-31T23:59:59Z"
    return rec


def nested(depth: int, event_id: str) -> str:
    """A record inside `depth` nested arrays (orjson parses up to 1,024 levels)."""
    return "[" * depth + orjson.dumps(run_instances(event_id, NOW, ["i-1"])).decode() + "]" * depth


def msg(body: Any, n: int = 1) -> Message:
    """A message carrying `body`."""
    text = body if isinstance(body, str) else orjson.dumps(body).decode()
    return Message(f"m-{n}", f"rh-{n}", text, ACCOUNT)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (far_future("e-1"), "eventTime"),
        ({**run_instances("e-1", NOW, ["i-1"]), "eventTime": "1900-01-01T00:00:00Z"}, "eventTime"),
        (nested(1000, "e-1"), "too deeply nested"),
        ("[" * 1023 + "{}" + "]" * 1023, "too deeply nested"),
        (nested(MAX_JSON_DEPTH, "e-1"), "too deeply nested"),
        (nested(10, "e-1"), "not a CloudTrail record"),
        (
            {
                **run_instances("e-1", NOW, ["i-1"]),
                "requestParameters": orjson.loads(nested(99, "x")),
            },
            "too deeply nested",
        ),
    ],
)
async def test_out_of_range_and_deep_input_is_poison_at_once(
    store: Store, body: str | dict[str, Any], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    message = msg(body)
    with caplog.at_level(logging.INFO):
        result = await Pipeline(store, CATALOGUE, clock=lambda: NOW).handle(message)
    assert result.outcome is Outcome.POISON and result.reason and reason in result.reason
    rejected = await store.rejects.get(message.message_id)
    assert rejected is not None and rejected.reason == result.reason
    assert await store.events.count("t1") == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_a_list_of_log_files_is_still_read(store: Store) -> None:
    body = [{"Records": [run_instances("e-1", NOW, ["i-1"])]}, [run_instances("e-2", NOW, ["i-2"])]]
    result = await Pipeline(store, CATALOGUE, clock=lambda: NOW).handle(msg(body))
    assert result.outcome is Outcome.DONE
    assert await store.events.count("t1") == 2


@pytest.mark.parametrize("error", [OverflowError("date value out of range"), RecursionError()])
async def test_any_overflow_or_recursion_while_handling_is_poison_not_retry(
    store: Store, error: Exception
) -> None:
    def fault(step: str, event_id: str) -> None:
        if step == "claimed":
            raise error

    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW, fault=fault)
    result = await pipeline.handle(msg(run_instances("e-1", NOW, ["i-1"])))
    assert result.outcome is Outcome.POISON
    assert result.reason == f"unprocessable: {type(error).__name__}: {error}"


class Recording:
    """The pipeline, with each (body prefix, receive count, outcome) it answered recorded."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.answers: list[tuple[str, int, Outcome]] = []

    async def handle(self, message: Message) -> Result:
        """Delegate and record."""
        result = await self.pipeline.handle(message)
        self.answers.append((message.body[:8], message.receive_count, result.outcome))
        return result


async def test_poison_in_a_group_is_received_once_and_the_group_goes_on(
    sqs: SQSClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    urls = await create_queues(sqs, unique_name("poison"), visibility_timeout=30)
    good1 = orjson.dumps(run_instances("e-1", NOW, ["i-1"])).decode()
    good2 = orjson.dumps(run_instances("e-2", NOW, ["i-2"])).decode()
    far = orjson.dumps(far_future("e-far")).decode()
    deep = nested(1000, "e-deep")
    for dedup, body in [("far", far), ("good1", good1), ("deep", deep), ("good2", good2)]:
        await send(sqs, urls.queue_url, body, group=ACCOUNT, dedup=dedup)
    handler = Recording(Pipeline(store, CATALOGUE, clock=lambda: NOW))
    config = ConsumerConfig(queue_url=urls.queue_url, pollers=1, wait_seconds=1)
    consumer = Consumer(sqs, handler, config)

    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(consumer.run())
        try:
            await eventually(lambda: consumer.stats.deleted == 2, what="both good ones deleted")
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 10)

    # One batch, in order: each poison answered on its first receive, the group not held back.
    assert handler.answers[:4] == [
        (far[:8], 1, Outcome.POISON),
        (good1[:8], 1, Outcome.DONE),
        (deep[:8], 1, Outcome.POISON),
        (good2[:8], 1, Outcome.DONE),
    ]
    assert consumer.stats.retried == consumer.stats.held_back == 0
    assert await store.events.count("t1") == 2
    reasons = sorted(r.reason for r in await store.rejects.recent())
    assert len(reasons) == 2
    assert "eventTime" in reasons[0] and "too deeply nested" in reasons[1]
    # Let go at once for the redrive policy, not hidden for the 30 s visibility timeout: visible
    # again, or already in the DLQ when a slow run let the poller receive them twice more.
    visible, hidden = await counts(sqs, urls.queue_url)
    dead, _ = await counts(sqs, urls.dlq_url)
    assert hidden == 0 and visible + dead == 2
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


# -- fuzz: whatever the body, the answer is DONE or POISON, never an exception ------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4)
    ),
    max_leaves=20,
)
_FIELDS = (
    "eventTime",
    "eventID",
    "awsRegion",
    "recipientAccountId",
    "userIdentity",
    "requestParameters",
    "responseElements",
    "errorCode",
)


@st.composite
def _mutated_records(draw: st.DrawFn) -> Any:
    """A real RunInstances with some fields replaced by arbitrary JSON."""
    rec: dict[str, Any] = run_instances("e-fuzz", NOW, ["i-1"])
    for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=3, unique=True)):
        rec[name] = draw(_json | st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01", ""]))
    request = rec.get("requestParameters")
    if isinstance(request, dict) and "instancesSet" in request and draw(st.booleans()):
        item = request["instancesSet"]["items"][0]
        item[draw(st.sampled_from(["minCount", "maxCount", "imageId"]))] = draw(_json)
        request["instanceType"] = draw(st.sampled_from(["m5.large", "p4d.24xlarge"]) | _json)
    return rec


_bodies = st.one_of(
    _json.map(json.dumps),  # the stdlib's encoder: integers past 64 bits, NaN, Infinity too
    _mutated_records().map(json.dumps),
    st.text(max_size=50),
)


@pytest.mark.slow  # hypothesis, 200 bodies through the pipeline: about 1.5 s
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=_bodies)
async def test_fuzz_any_body_is_done_or_poison(store: Store, body: str) -> None:
    result = await Pipeline(store, CATALOGUE, clock=lambda: NOW).handle(msg(body))
    assert result.outcome in (Outcome.DONE, Outcome.POISON)
    assert (result.reason is not None) == (result.outcome is Outcome.POISON)
