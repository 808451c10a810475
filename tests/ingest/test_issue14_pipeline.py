"""Issue 14 through the service's pipeline and stored inventory: a Fargate service priced from
its task definition and scaled x20, and a Savings Plan purchase stored with its commitment."""

from __future__ import annotations

import copy
from datetime import timedelta
from itertools import count
from typing import Any

import orjson
import pytest

from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from pricing import fargate_task, load_catalogue
from storage import Store
from tests.fixtures import load
from tests.stores import NOW
from tests.trails import ACCOUNT

CATALOGUE = load_catalogue()
_ids = count(1)


def _message(record: dict[str, Any]) -> Message:
    n = next(_ids)
    return Message(f"m14-{n}", f"rh14-{n}", orjson.dumps(record).decode(), ACCOUNT)


def _record(name: str, event_id: str, minutes: int) -> dict[str, Any]:
    """A fixture of tests/events/cloudtrail, moved to the test account and the test clock."""
    record: dict[str, Any] = copy.deepcopy(load(f"cloudtrail/{name}"))
    record["recipientAccountId"] = ACCOUNT
    record["eventID"] = event_id
    record["eventTime"] = (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return record


async def test_a_fargate_service_is_priced_from_the_stored_task_definition(store: Store) -> None:
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW)
    task = fargate_task("us-east-1", 1.0, 2.0).usd
    assert task is not None
    steps = [
        ("ecs/register_task_definition_fargate.json", "e14-1", 0),
        ("ecs/create_service_fargate.json", "e14-2", 5),
        ("ecs/update_service_desired_count.json", "e14-3", 60),
    ]
    for name, event_id, minutes in steps:
        result = await pipeline.handle(_message(_record(name, event_id, minutes)))
        assert result.outcome is Outcome.DONE
    created = await store.events.get("t1", "e14-2")
    scaled = await store.events.get("t1", "e14-3")
    assert created is not None and scaled is not None
    assert created.cost_event().estimated_hourly_cost == pytest.approx(2 * task, abs=1e-6)
    assert scaled.cost_event().size == "1vCPU-2GB"
    assert scaled.cost_event().estimated_hourly_cost == pytest.approx(40 * task, abs=1e-6)
    rate = await store.resources.burn_rate("t1", ACCOUNT)
    assert rate.hourly_usd == pytest.approx(40 * task, abs=1e-6)


async def test_a_savings_plan_is_stored_with_its_commitment_and_alerts(store: Store) -> None:
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW)
    record = _record("savingsplans/create_savings_plan_awsdocs.json", "e14-sp", 0)
    assert (await pipeline.handle(_message(record))).outcome is Outcome.DONE
    stored = await store.events.get("t1", "e14-sp")
    assert stored is not None
    commitment = stored.cost_event().commitment
    assert commitment is not None and commitment.total_usd == 21_900.0
    anomaly = await store.anomalies.get("t1", "e14-sp")
    assert anomaly is not None and anomaly.severity == "warning"
    assert "committed $21,900.00 over 1 year" in anomaly.reasons[0]
