"""Configurations (launch templates, endpoint configs) are stored in the inventory as `defined`:
the service prices what uses them, and they never count as running spend."""

from __future__ import annotations

from engine import CostEvent, normalize_record
from engine.context import changes_for
from pricing import load_catalogue
from storage import Store
from tests.fixtures import load
from tests.stores import NOW

KEY = ("444455556666", "us-west-2", "sagemaker:endpoint-config", "ExampleEndpointConfig")


def _event(name: str) -> CostEvent:
    result = normalize_record(load(f"cloudtrail/{name}"), load_catalogue())
    assert isinstance(result, CostEvent)
    return result


async def test_endpoint_config_is_remembered_but_not_running(store: Store) -> None:
    config = _event("sagemaker/create_endpoint_config.json")
    [change] = changes_for(config)
    assert change.state == "defined"
    await store.resources.apply("t1", change, config.event_id, config.event_time, NOW)
    stored = await store.resources.get("t1", KEY)
    assert stored is not None and stored.state == "defined"
    known = await store.resources.known("t1", [KEY])
    assert known[KEY].size == "ml.m5.xlarge"
    assert known[KEY].quantity == 2
    rate = await store.resources.burn_rate("t1")
    assert (rate.running, rate.unpriced) == (0, 0)
