"""The backtest prices a record once, asking its in-memory inventory as it goes
(`normalize_local`); the service prices it, fetches what it asked about, and prices it again
(`normalize` + `reprice`). Both must give the same event for any inventory: proved here on every
real CloudTrail fixture and the bundled samples, with inventories drawn at random over every
resource a record could be sized from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import CostEvent, KnownResource, Verdict, iter_records
from engine.context import ResourceChange
from engine.scoring import Signals
from ingest.logfiles import read_records
from ingest.memory import MemoryEvents, MemoryResources
from ingest.processor import LocalInventory, normalize, normalize_local, reprice
from pricing import load_catalogue
from storage.events import verdict_from_dict, verdict_to_dict
from storage.resources import LiveResource
from tests.fixtures import CLOUDTRAIL, load

CATALOGUE = load_catalogue()
SAMPLES = Path(__file__).parents[2] / "samples" / "AWSLogs"
NOW = datetime(2026, 11, 2, tzinfo=UTC)


def _records() -> list[dict[str, Any]]:
    """Every cost record of the fixtures and samples that asks the inventory something."""
    found: list[Any] = []
    for path in sorted(CLOUDTRAIL.rglob("*.json")):
        if path.name != "expected.json":
            found.extend(iter_records(load(str(path.relative_to(CLOUDTRAIL.parent)))))
    for path in sorted(SAMPLES.rglob("*.json.gz")):
        found.extend(read_records(path))
    asking = [r for r in found if isinstance(r, dict) and normalize(r, CATALOGUE).asked]
    return list({str(r.get("eventID")): r for r in asking}.values())


RECORDS = _records()
SIZES = (None, "m5.large", "t3.micro", "db.r5.xlarge", "ml.g5.2xlarge", "cache.m6g.large")
known_resources = st.builds(
    KnownResource,
    size=st.sampled_from(SIZES),
    os=st.sampled_from((None, "linux", "windows", "ec2", "fargate")),
    engine=st.sampled_from((None, "mysql", "postgres", "redis")),
    multi_az=st.booleans(),
    memory_mb=st.sampled_from((None, 128, 2048)),
    architecture=st.sampled_from((None, "x86_64", "arm64")),
    unit_hourly_cost=st.sampled_from((None, 0.096, 1.5)),
    quantity=st.sampled_from((None, 1, 3)),
)
STATES = ("running", "stopped", "ended", "changed", "defined")


def _changes(record: dict[str, Any], draw: st.DrawFn) -> list[ResourceChange]:
    """Some of the resources the record could be sized from, known, each in any state."""
    return [
        ResourceChange(*key, draw(st.sampled_from(STATES)), draw(known_resources))
        for key in normalize(record, CATALOGUE).asked
        if draw(st.booleans())
    ]


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[ResourceChange]]:
    record = draw(st.sampled_from(RECORDS))
    return record, _changes(record, draw)


def test_the_fixtures_ask_the_inventory_about_many_kinds_of_resource() -> None:
    kinds = {key[2] for r in RECORDS for key in normalize(r, CATALOGUE).asked}
    assert {"ec2:instance", "autoscaling:group", "ecs:task-definition"} <= kinds, kinds
    assert len(kinds) >= 6, kinds


def test_the_memory_inventory_is_a_local_one() -> None:
    assert isinstance(MemoryResources(), LocalInventory)


def _key(change: ResourceChange) -> tuple[str, str, str, str]:
    return change.account_id, change.region, change.resource_type, change.resource_id


@settings(max_examples=300, deadline=None)
@given(cases())
async def test_one_pass_prices_as_the_service_does(
    case: tuple[dict[str, Any], list[ResourceChange]],
) -> None:
    record, changes = case
    inventory = MemoryResources()
    for change in changes:
        inventory._docs.pop(_key(change), None)  # the drawn state, whatever was there before
        await inventory.apply("T", change, "e-0", NOW, NOW)
    first = normalize(record, CATALOGUE)
    service = first.event
    if isinstance(service, CostEvent):
        service = await reprice("T", record, first, CATALOGUE, inventory)
    assert normalize_local(record, CATALOGUE, inventory) == service


@settings(max_examples=200, deadline=None)
@given(st.none() | known_resources, st.sampled_from(STATES), st.sampled_from(STATES), st.booleans())
async def test_a_lookup_answers_what_the_stored_document_says(
    known: KnownResource | None, state: str, then: str, priced: bool
) -> None:
    """`lookup` reads the document without validating it: the same as `LiveResource` would,
    after one change or two ($set over what is there; a change may know nothing)."""
    inventory = MemoryResources()
    key = ("111111111111", "us-east-1", "ec2:instance", "i-1")
    cost = 0.5 if priced else None
    await inventory.apply("T", ResourceChange(*key, state, known, cost), "e-1", NOW, NOW)  # type: ignore[arg-type]
    stored = LiveResource.from_mongo(inventory._docs[key])
    assert inventory.lookup(*key) == (None if stored.state == "ended" else stored.known())
    later = NOW + timedelta(minutes=1)
    await inventory.apply("T", ResourceChange(*key, then, None), "e-2", later, later)  # type: ignore[arg-type]
    stored = LiveResource.from_mongo(inventory._docs[key])
    want = None if stored.state == "ended" else stored.known()
    assert inventory.lookup(*key) == want
    assert await inventory.known("T", [key]) == ({key: want} if want is not None else {})


class _Broken:
    """An inventory whose answer makes the record fail (a size that is not a string)."""

    def lookup(self, *key: str) -> KnownResource:
        return KnownResource(size=12345)  # type: ignore[arg-type]

    async def known(self, tenant: str, keys: list[Any]) -> dict[Any, KnownResource]:
        return {key: self.lookup(*key) for key in keys}


async def test_a_record_that_fails_with_what_is_known_keeps_its_first_event() -> None:
    record = next(r for r in RECORDS if r.get("eventName") == "StartInstances")
    first = normalize(record, CATALOGUE)
    assert isinstance(first.event, CostEvent)
    assert await reprice("T", record, first, CATALOGUE, _Broken()) == first.event
    assert normalize_local(record, CATALOGUE, _Broken()) == first.event


async def test_a_kept_verdict_comes_back_as_stored_to_a_second_claim() -> None:
    """The memory store keeps the first verdict as an object and converts it to its stored form
    only when a duplicate claims the event: what the duplicate reads is MongoDB's round trip."""
    record = next(r for r in RECORDS if r.get("eventName") == "StartInstances")
    event = normalize(record, CATALOGUE).event
    assert isinstance(event, CostEvent)
    events = MemoryEvents()
    assert (await events.claim("T", event, NOW)).new
    verdict = Verdict(None, "cold-start", Signals(fired=("novel",)), 0.5, 3)
    assert await events.save_verdict("T", event.event_id, verdict) is verdict
    again = await events.claim("T", event, NOW)
    assert not again.new and again.stored.verdict == verdict_to_dict(verdict)
    assert again.stored.stored_verdict() == verdict_from_dict(verdict_to_dict(verdict))
    other = Verdict(None, "mature", Signals(), 9.0, 40)
    assert await events.save_verdict("T", event.event_id, other) == verdict
