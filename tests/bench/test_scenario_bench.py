"""The scenario benchmark joins verdicts and labels per category (no detection figures asserted:
the engine's scoring changes; these tests check the bookkeeping)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench import scenario_bench
from bench.scenario_bench import candidates, read_labels
from bench.scenario_eval import CALL_LEVEL, category_lines, evaluate, merged
from bench.scenarios import INCIDENT_CATEGORIES, QUIET_CATEGORIES, Config, write
from bench.scenarios._prices import CataloguePrices
from engine.thresholds import DEFAULT_THRESHOLDS
from ingest.backtest import run_backtest
from pricing import load_catalogue


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    write(Config(days=21, seed=4, accounts=3, noise_ratio=0.5), CataloguePrices(), out)
    return out


@pytest.mark.slow  # generates and scores a scenario data set: about 4 s
def test_evaluate_counts_every_label_in_its_category(dataset: Path) -> None:
    labels = read_labels(dataset / "labels.jsonl")
    result = run_backtest([str(dataset / "AWSLogs")], load_catalogue())
    outcome = evaluate(result, labels)
    incidents = [x for x in labels.values() if x["label"] == "incident"]
    calls = Counter(x["category"] for x in incidents)
    ids = {c: {x["incidentId"] for x in incidents if x["category"] == c} for c in calls}
    assert set(INCIDENT_CATEGORIES) == outcome.incident_categories.keys() == calls.keys()
    for name, counts in outcome.incident_categories.items():
        assert counts.calls == calls[name] and counts.incidents == len(ids[name])
        assert 0 <= counts.caught <= counts.incidents
        assert 0 <= counts.calls_alerted <= counts.calls
    quiet = Counter(x["category"] for x in labels.values() if x["label"] == "normal")
    assert set(QUIET_CATEGORIES) == outcome.quiet_categories.keys() == quiet.keys()
    for name, counts in outcome.quiet_categories.items():
        assert counts.events == quiet[name]
        assert counts.alerts <= counts.scored <= counts.events
    assert outcome.incidents == sum(len(x) for x in ids.values())
    assert outcome.normal_all == sum(c.scored for c in outcome.quiet_categories.values())
    lines = category_lines(outcome)
    assert len(lines) == len(INCIDENT_CATEGORIES) + len(QUIET_CATEGORIES)
    assert sum("calls alerted" in line for line in lines) == len(CALL_LEVEL)
    twice = merged([outcome, outcome])
    assert twice.incidents == 2 * outcome.incidents
    assert twice.quiet_categories["normal"].events == 2 * quiet["normal"]


@pytest.mark.slow  # scores three scenario seeds: about 3.5 s
def test_json_report_has_each_seed_and_their_total(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--days", "20", "--accounts", "2", "--seeds", "3,5", "--json"]
    assert scenario_bench.main(argv) == 0
    report: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    assert report["seeds"] == [3, 5]
    (run,) = report["runs"]
    seeds, total = run["seeds"], run["total"]
    assert seeds.keys() == {"3", "5"}
    for key in ("incidents", "incidents_alerted", "normal_all", "normal_all_false"):
        assert total[key] == seeds["3"][key] + seeds["5"][key]
    for name, counts in total["incident_categories"].items():
        assert counts["incidents"] == sum(
            s["incident_categories"][name]["incidents"] for s in seeds.values()
        )
        assert 0.0 <= counts["recall"] <= 1.0


def test_sweep_skips_candidates_naming_fields_thresholds_lacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = [("medium z 3", {"z": {"medium": 3.0}}), ("gone", {"no_such_field": 1})]
    monkeypatch.setattr(scenario_bench, "SWEEP", sweep)
    found = dict(candidates())
    assert list(found) == ["chosen (defaults)", "medium z 3"]
    z = found["medium z 3"].z
    assert z["medium"] == 3.0 and z["low"] == DEFAULT_THRESHOLDS.z["low"]
    assert "no_such_field" in capsys.readouterr().err
    assert list(dict(candidates(sweep=False))) == ["chosen (defaults)"]
