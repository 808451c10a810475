"""The windowed backtest gives the verdicts of one full sort (the backtest before issue 17) on
every archive where no record is later than the window, with state that follows the window."""

from __future__ import annotations

import asyncio
import gzip
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.scenarios import Config, write
from bench.scenarios._prices import CataloguePrices
from engine import DEFAULT_THRESHOLDS, CostEvent
from ingest._fullsort import sorted_records
from ingest._window import Window
from ingest.backtest import BacktestResult, Options, _Replay, run_backtest
from ingest.layout import Filters
from pricing import load_catalogue
from tests.fixtures import load

SAMPLES = Path(__file__).parents[2] / "samples" / "AWSLogs"
CATALOGUE = load_catalogue()
RUN = load("cloudtrail/ec2/run_instances_iam_user_cli.json")


def _outcome(events: list[CostEvent]) -> list[tuple[str, str | None, float | None]]:
    return [
        (
            e.event_id,
            e.anomaly.severity if e.anomaly else None,
            e.anomaly.score if e.anomaly else None,
        )
        for e in events
    ]


def _reference(paths: list[str]) -> list[tuple[str, str | None, float | None]]:
    """Every cost-relevant record in memory, one full sort, the same processor."""
    replay = _Replay(CATALOGUE, DEFAULT_THRESHOLDS, Options())

    async def run() -> None:
        for record in sorted_records(paths):
            await replay.feed(record)

    asyncio.run(run())
    return _outcome(replay.events)


def _same_as_full_sort(paths: list[str], **options: Any) -> BacktestResult:
    result = run_backtest(paths, CATALOGUE, options=Options(**options))
    assert result.summary()["lateRecords"] == 0
    assert _outcome(result.events) == _reference(paths)
    return result


def test_the_bundled_samples_score_as_with_a_full_sort() -> None:
    result = _same_as_full_sort([str(SAMPLES)])
    assert result.summary()["anomalies"]["critical"] >= 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_scenario_seeds_score_as_with_a_full_sort(tmp_path: Path, seed: int) -> None:
    write(Config(days=14, seed=seed, accounts=3), CataloguePrices(), tmp_path)
    result = _same_as_full_sort([str(tmp_path / "AWSLogs")])
    # The window held a few hours of cost events, never the archive.
    assert 0 < result.collected.held_peak < result.summary()["costEvents"] / 4


@pytest.mark.slow
def test_a_season_with_expired_resources_scores_as_with_a_full_sort(tmp_path: Path) -> None:
    # Longer than the 30 days ended resources are kept: the inventory's expiry is exercised.
    write(Config(days=45, seed=7, accounts=2), CataloguePrices(), tmp_path)
    _same_as_full_sort([str(tmp_path / "AWSLogs")])


@pytest.mark.slow
@pytest.mark.parametrize(("noise", "pooled"), [(0.99, True), (0.9, False)])
def test_process_pool_gives_the_same_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, noise: float, pooled: bool
) -> None:
    # Quiet logs are read in a pool; with 10 % cost events the engine bounds the run: no pool.
    write(Config(days=7, seed=5, accounts=2, noise_ratio=noise), CataloguePrices(), tmp_path)
    paths = [str(tmp_path / "AWSLogs")]
    started: list[int] = []

    class Pool(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: Any) -> None:
            started.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr("ingest.sources.ProcessPoolExecutor", Pool)
    one = run_backtest(paths, CATALOGUE, options=Options(workers=1))
    two = run_backtest(paths, CATALOGUE, options=Options(workers=2))
    assert started == ([2] if pooled else [])
    assert _outcome(one.events) == _outcome(two.events)
    assert one.summary() | {"seconds": 0} == two.summary() | {"seconds": 0}


def _file(root: Path, account: str, stamp: str, records: list[dict[str, Any]]) -> None:
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    folder = root / "AWSLogs" / account / "CloudTrail" / "us-east-1" / day
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{account}_CloudTrail_us-east-1_{stamp}_x{len(list(folder.iterdir()))}.json.gz"
    (folder / name).write_bytes(gzip.compress(orjson.dumps({"Records": records})))


def _run(event_id: str, when: str, account: str = "111122223333") -> dict[str, Any]:
    return {**RUN, "eventID": event_id, "eventTime": when, "recipientAccountId": account}


def test_accounts_are_interleaved_by_delivery_time_not_by_path(tmp_path: Path) -> None:
    _file(
        tmp_path,
        "222233334444",
        "20260101T0010Z",
        [_run("b1", "2026-01-01T00:01:00Z", "222233334444")],
    )
    _file(tmp_path, "111122223333", "20260101T0500Z", [_run("a2", "2026-01-01T04:55:00Z")])
    _file(
        tmp_path,
        "222233334444",
        "20260101T0900Z",
        [_run("b3", "2026-01-01T08:55:00Z", "222233334444")],
    )
    _file(tmp_path, "111122223333", "20260101T0015Z", [_run("a1", "2026-01-01T00:00:30Z")])
    result = run_backtest([tmp_path], CATALOGUE)
    assert [e.event_id for e in result.events] == ["a1", "b1", "a2", "b3"]
    assert result.summary()["lateRecords"] == 0


def test_a_record_later_than_the_window_is_counted_and_still_scored(tmp_path: Path) -> None:
    _file(tmp_path, "111122223333", "20260101T0010Z", [_run("a", "2026-01-01T00:05:00Z")])
    _file(tmp_path, "111122223333", "20260101T0600Z", [_run("b", "2026-01-01T05:55:00Z")])
    _file(tmp_path, "111122223333", "20260101T0800Z", [_run("c", "2026-01-01T07:55:00Z")])
    late = _run("late", "2026-01-01T00:06:00Z")
    _file(tmp_path, "111122223333", "20260101T0810Z", [late])
    result = run_backtest([tmp_path], CATALOGUE, options=Options(window=timedelta(hours=1)))
    assert [e.event_id for e in result.events] == ["a", "b", "late", "c"]
    assert result.summary()["lateRecords"] == 1
    # With a window wide enough it is in order again.
    wide = run_backtest([tmp_path], CATALOGUE, options=Options(window=timedelta(hours=8)))
    assert [e.event_id for e in wide.events] == ["a", "late", "b", "c"]
    assert wide.summary()["lateRecords"] == 0


def test_duplicates_across_files_inside_the_window_are_dropped(tmp_path: Path) -> None:
    first = _run("d", "2026-01-01T00:05:00Z")
    _file(tmp_path, "111122223333", "20260101T0010Z", [first])
    _file(tmp_path, "111122223333", "20260101T0110Z", [first, _run("e", "2026-01-01T01:05:00Z")])
    result = run_backtest([tmp_path], CATALOGUE)
    assert [e.event_id for e in result.events] == ["d", "e"]
    assert result.summary()["duplicatesDropped"] == 1


def test_the_window_forgets_ids_once_they_are_two_windows_old() -> None:
    window = Window(timedelta(hours=1))
    for hour in range(24):
        when = f"2026-01-01T{hour:02d}:00:00Z"
        record = {"eventID": f"id-{hour}", "eventTime": when}
        assert window.first(f"id-{hour}", record) is record
        window.hold(f"id-{hour}", when, (0,), 0, record)
        window.note([f"other-{hour}"], when)
        window.first(f"other-{hour}", ("s", "n"))
        released = list(window.advance(when))
        assert all(r["eventTime"] < when for r in released)
        assert (
            window.remembered <= 8
        )  # about three hours of two ids an hour, whatever the day's length
    assert len(list(window.drain())) <= 2


def test_filters_prune_accounts_regions_and_days(tmp_path: Path) -> None:
    _file(tmp_path, "111122223333", "20260101T0010Z", [_run("jan1", "2026-01-01T00:05:00Z")])
    _file(tmp_path, "111122223333", "20260102T0010Z", [_run("jan2", "2026-01-02T00:05:00Z")])
    _file(
        tmp_path,
        "222233334444",
        "20260102T0010Z",
        [_run("other", "2026-01-02T00:05:00Z", "222233334444")],
    )
    since = Filters(
        since=__import__("datetime").date(2026, 1, 2), accounts=frozenset({"111122223333"})
    )
    result = run_backtest([tmp_path], CATALOGUE, options=Options(filters=since))
    assert [e.event_id for e in result.events] == ["jan2"]
    assert result.summary()["files"] == 1
    nothing = Filters(regions=frozenset({"eu-west-1"}))
    assert (
        run_backtest([tmp_path], CATALOGUE, options=Options(filters=nothing)).summary()["files"]
        == 0
    )


def test_per_event_state_follows_the_window_not_the_archive(tmp_path: Path) -> None:
    for hour in range(48):
        stamp = f"202601{1 + hour // 24:02d}T{hour % 24:02d}10Z"
        when = f"2026-01-{1 + hour // 24:02d}T{hour % 24:02d}:05:00Z"
        _file(tmp_path, "111122223333", stamp, [_run(f"h{hour}", when)])
    result = run_backtest([tmp_path], CATALOGUE, options=Options(window=timedelta(hours=1)))
    assert result.summary()["costEvents"] == 48
    # The last two windows' events at most, whatever the archive's length.
    assert result.collected.events_remembered <= 4


def test_the_processor_gets_the_same_calls_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Records and forgetting are queued and run a batch at a time: the same calls, same order.
    def calls(batch: int) -> list[Any]:
        seen: list[Any] = []
        feed, forget = _Replay.feed, _Replay.forget

        async def feeding(self: _Replay, raw: Any) -> None:
            seen.append(("feed", raw["eventID"], self.tally.cost_events))
            await feed(self, raw)

        def forgetting(self: _Replay, event_ids: list[str]) -> None:
            seen.append(("forget", list(event_ids), self.tally.cost_events))
            forget(self, event_ids)

        with monkeypatch.context() as patch:
            patch.setattr("ingest.backtest.FEED_BATCH", batch)
            patch.setattr(_Replay, "feed", feeding)
            patch.setattr(_Replay, "forget", forgetting)
            run_backtest([SAMPLES], CATALOGUE, options=Options(window=timedelta(minutes=10)))
        return seen

    one = calls(1)
    assert any(call[0] == "forget" for call in one)
    assert calls(64) == one == calls(10_000)
