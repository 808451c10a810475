"""Scenario benchmark: recall on labelled incidents and the false-alert rate on normal traffic.

    python -m bench.scenario_bench [--days 30] [--accounts 4] [--seed 1] [--sweep]

Generates labelled CloudTrail logs (bench.scenarios), runs the backtest over them and joins
the verdicts with the labels. `--sweep` re-scores with candidate thresholds, for the decision log.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from engine import Thresholds
from engine.thresholds import DEFAULT_THRESHOLDS
from ingest.backtest import BacktestResult, run_backtest
from pricing import load_catalogue

ALERTING = ("warning", "critical")


@dataclass(frozen=True)
class Outcome:
    """What one run measured."""

    incidents: int
    incidents_alerted: int
    incidents_25: int
    incidents_25_critical: int
    normal_mature: int
    normal_mature_false: int
    normal_all: int
    normal_all_false: int
    missed: tuple[str, ...]

    def line(self, name: str) -> str:
        """One printable line."""
        far = 100 * self.normal_mature_false / max(self.normal_mature, 1)
        far_all = 100 * self.normal_all_false / max(self.normal_all, 1)
        return (
            f"{name:<34} incidents caught {self.incidents_alerted}/{self.incidents}  "
            f"≥$25/h critical {self.incidents_25_critical}/{self.incidents_25}  "
            f"false alerts (mature) {self.normal_mature_false}/{self.normal_mature} = {far:.2f}%  "
            f"(all normal {far_all:.2f}%)"
        )


def generate(out: Path, days: int, accounts: int, seed: int) -> Path:
    """Write labelled logs with the scenario generator; returns the labels file."""
    command = [
        sys.executable, "-m", "bench.scenarios", "--out", str(out),
        "--days", str(days), "--accounts", str(accounts), "--seed", str(seed),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return out / "labels.jsonl"


def read_labels(path: Path) -> dict[str, dict[str, Any]]:
    """eventId -> label line."""
    labels: dict[str, dict[str, Any]] = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            item = orjson.loads(line)
            labels[item["eventId"]] = item
    return labels


def _severity(result: BacktestResult, event_id: str) -> str | None:
    verdict = result.verdicts.get(event_id)
    return verdict.anomaly.severity if verdict and verdict.anomaly else None


def evaluate(result: BacktestResult, labels: dict[str, dict[str, Any]]) -> Outcome:
    """Join verdicts and labels."""
    costs = {e.event_id: e.estimated_hourly_cost for e in result.events}
    counts = dict.fromkeys(
        ("inc", "inc_ok", "inc25", "inc25_ok", "nm", "nm_bad", "na", "na_bad"), 0
    )
    missed: list[str] = []
    caught: dict[str, bool] = {}
    for event_id, label in labels.items():
        severity = _severity(result, event_id)
        if label["label"] == "incident":
            _incident(counts, missed, label, severity, costs.get(event_id))
            incident = label.get("incidentId") or event_id
            caught[incident] = caught.get(incident, False) or severity in ALERTING
        else:
            _normal(counts, result, event_id, severity)
    # Recall counts incidents: one alert on any of an incident's calls is a catch.
    counts["inc"], counts["inc_ok"] = len(caught), sum(caught.values())
    return Outcome(
        counts["inc"], counts["inc_ok"], counts["inc25"], counts["inc25_ok"],
        counts["nm"], counts["nm_bad"], counts["na"], counts["na_bad"], tuple(missed),
    )  # fmt: skip


def _incident(
    counts: dict[str, int], missed: list[str], label: dict[str, Any], severity: str | None,
    cost: float | None,
) -> None:  # fmt: skip
    if severity not in ALERTING:
        missed.append(f"{label['scenario']} ({severity or 'no alert'}, {cost})")
    if cost is not None and cost > 25:
        counts["inc25"] += 1
        counts["inc25_ok"] += severity == "critical"
        if severity != "critical":
            missed.append(f"{label['scenario']} ≥$25/h rated {severity}")


def _normal(
    counts: dict[str, int], result: BacktestResult, event_id: str, severity: str | None
) -> None:
    verdict = result.verdicts.get(event_id)
    if verdict is None or verdict.phase == "unscored":
        return
    counts["na"] += 1
    counts["na_bad"] += severity in ALERTING
    if verdict.phase == "mature":
        counts["nm"] += 1
        counts["nm_bad"] += severity in ALERTING


def candidates() -> Iterable[tuple[str, Thresholds]]:
    """Threshold sets compared in the decision log."""
    base = DEFAULT_THRESHOLDS
    yield "chosen (defaults)", base
    for z in (2.0, 3.0, 3.5):
        z_map = dict(base.z)
        z_map["medium"] = z
        yield f"medium z = {z}", replace(base, z=z_map)  # type: ignore[arg-type]
    for score in (0.15, 0.45):
        yield f"alert score = {score}", replace(base, alert_score=score)
    yield "no per-size history", replace(base, size_history_min=10**9)
    yield "actor weight 0.30", replace(base, weight_actor=0.30)
    yield "no std floor", replace(base, std_floor_ratio=0.0)


def main(argv: list[str] | None = None) -> int:
    """Generate, backtest, evaluate, print."""
    parser = argparse.ArgumentParser(prog="python -m bench.scenario_bench")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        labels = read_labels(generate(Path(tmp), args.days, args.accounts, args.seed))
        runs = list(candidates()) if args.sweep else [("chosen (defaults)", DEFAULT_THRESHOLDS)]
        for name, thresholds in runs:
            logs = [str(Path(tmp) / "AWSLogs")]
            outcome = evaluate(run_backtest(logs, catalogue, thresholds), labels)
            print(outcome.line(name))
            if name.startswith("chosen"):
                for item in outcome.missed:
                    print(f"    incident call not alerted: {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
