"""The same eventID with other content: the first is kept, the conflict recorded and reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cli import main
from cli.report import render
from engine import CostEvent, normalize_record
from engine.normalize import record_digest
from ingest.backtest import run_backtest
from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from pricing import load_catalogue
from storage import Store
from tests.stores import NOW
from tests.trails import ACCOUNT, envelope, run_instances

CATALOGUE = load_catalogue()
SMALL = run_instances("e-1", NOW, ["i-1"], "t3.micro")
BIG = run_instances("e-1", NOW, ["i-1"], "p4d.24xlarge")  # same eventID, other content


def msg(body: object, n: int) -> Message:
    """An SQS message carrying `body`."""
    return Message(f"m-{n}", f"rh-{n}", orjson.dumps(body).decode(), ACCOUNT)


async def test_a_conflicting_duplicate_is_rejected_audited_and_the_first_kept(
    store: Store,
) -> None:
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW)
    assert (await pipeline.handle(msg(SMALL, 1))).outcome is Outcome.DONE
    stored = await store.events.get("t1", "e-1")
    assert stored is not None and stored.digest == record_digest(SMALL)

    for _ in range(2):  # the redrive policy hands it over more than once
        result = await pipeline.handle(msg(BIG, 2))
        assert result.outcome is Outcome.POISON and result.reason
    assert result.reason is not None and "conflicting duplicate" in result.reason
    assert record_digest(SMALL) in result.reason and record_digest(BIG) in result.reason

    kept = await store.events.get("t1", "e-1")
    assert kept is not None and kept.cost_event().size == "t3.micro"
    assert await store.anomalies.count("t1") == 0  # the t3.micro was not anomalous
    reject = await store.rejects.get("m-2")
    assert reject is not None and reject.reason == result.reason
    (entry,) = await store.audit.recent("t1", kind="ingest.conflicting-duplicate")
    assert entry.detail["firstDigest"] == record_digest(SMALL)
    assert entry.detail["digest"] == record_digest(BIG)
    assert entry.detail["size"] == "p4d.24xlarge"
    assert pipeline.stats.conflicts == 2 and pipeline.stats.duplicates == 0


async def test_a_plain_redelivery_is_still_a_duplicate(store: Store) -> None:
    pipeline = Pipeline(store, CATALOGUE, clock=lambda: NOW)
    await pipeline.handle(msg(SMALL, 1))
    assert (await pipeline.handle(msg(envelope(SMALL), 2))).outcome is Outcome.DONE
    assert pipeline.stats.duplicates == 1 and pipeline.stats.conflicts == 0
    assert await store.audit.recent("t1", kind="ingest.conflicting-duplicate") == []


async def test_events_stored_before_digests_never_conflict(store: Store) -> None:
    first = await store.events.claim("t1", _event(SMALL), NOW)  # no digest: an older document
    again = await store.events.claim("t1", _event(BIG), NOW, digest=record_digest(BIG))
    assert first.new and not again.new and not again.conflict


def _event(raw: dict[str, Any]) -> CostEvent:
    result = normalize_record(raw, CATALOGUE)
    assert isinstance(result, CostEvent)
    return result


def test_the_backtest_counts_and_reports_conflicts_apart_from_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = run_instances("e-2", NOW, ["i-2"], "m5.large")
    describe_then_launch = {**BIG, "eventID": "e-3", "eventName": "DescribeInstances"}
    hidden = {**BIG, "eventID": "e-3"}
    (tmp_path / "1.json").write_bytes(
        orjson.dumps({"Records": [SMALL, other, describe_then_launch]})
    )
    (tmp_path / "2.json").write_bytes(orjson.dumps({"Records": [BIG, other, hidden]}))

    result = run_backtest([tmp_path], CATALOGUE)
    summary = result.summary()
    assert summary["duplicatesDropped"] == 1  # `other`, twice with the same content
    assert summary["conflictingDuplicates"] == 2
    assert [e.size for e in result.events if e.event_id == "e-1"] == ["t3.micro"]
    first, second = result.collected.conflicts
    assert (first.event_id, first.first_digest, first.digest) == (
        "e-1",
        record_digest(SMALL),
        record_digest(BIG),
    )
    assert second.event_id == "e-3" and second.first_event.endswith("DescribeInstances")
    text = render(result)
    assert "1 duplicates dropped, 2 conflicting" in text
    assert "Conflicting duplicates (2)" in text and record_digest(BIG)[:12] in text

    assert main(["backtest", "--json", str(tmp_path)]) == 0
    last = orjson.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["kind"] == "summary" and last["conflictingDuplicates"] == 2
