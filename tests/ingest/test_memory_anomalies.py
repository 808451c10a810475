"""The backtest's in-memory anomalies find an ending event's open anomalies through an index:
the same answer, in the same order, as walking every anomaly (as MongoDB's query does)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.models import Actor, Anomaly, CostEvent
from ingest.memory import MemoryAnomalies
from storage.anomalies import OPEN

NOW = datetime(2026, 11, 2, tzinfo=UTC)
ANOMALY = Anomaly(severity="warning", score=0.5, reasons=("r",))
ACCOUNTS = ("111111111111", "222222222222")
RESOURCES = ("i-1", "i-2", "i-3", "i-4")


def _event(n: int, account: str, resources: tuple[str, ...]) -> CostEvent:
    return CostEvent(
        event_id=f"e-{n}", event_name="RunInstances", event_source="ec2.amazonaws.com",
        event_time=NOW, account_id=account, region="us-east-1",
        actor=Actor(arn=None, type="IAMUser", principal_arn="arn:aws:iam::1:user/a"),
        action="launch", service="ec2", resource_type="ec2:instance", resource_ids=resources,
    )  # fmt: skip


def _walk(store: MemoryAnomalies, account: str, resource_ids: list[str]) -> list[str]:
    ids = set(resource_ids)
    return [
        a.id
        for a in store.items.values()
        if a.account_id == account and a.status in OPEN and ids & set(a.resource_ids)
    ]


operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(ACCOUNTS),
                  st.lists(st.sampled_from(RESOURCES), max_size=3, unique=True)),
        st.tuples(st.just("status"), st.integers(0, 30),
                  st.sampled_from(["open", "snoozed", "resolved", "acknowledged"])),
        st.tuples(st.just("forget"), st.integers(0, 30), st.none()),
    ),
    max_size=40,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(operations)
async def test_the_index_answers_as_a_walk_would(ops: list[tuple[str, object, object]]) -> None:
    store = MemoryAnomalies()
    created = 0
    for op, first, second in ops:
        if op == "create":
            assert isinstance(first, str) and isinstance(second, list)
            await store.create("T", _event(created, first, tuple(second)), ANOMALY, NOW)
            created += 1
        elif op == "status":
            await store.set_status("T", f"e-{first}", second, NOW, by="test")
        else:
            store.forget([f"e-{first}"])
        for account in ACCOUNTS:
            for resource in RESOURCES:
                got = await store.open_for_resources("T", account, [resource, "i-1"])
                assert [a.id for a in got] == _walk(store, account, [resource, "i-1"])
