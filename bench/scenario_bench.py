"""Scenario benchmark: recall on labelled incidents and the false-alert rate on normal traffic,
overall and per label category.

    python -m bench.scenario_bench [--days 30] [--accounts 4] [--seed 1 | --seeds 1,2,3]
                                   [--sweep] [--json]

Generates labelled CloudTrail logs (bench.scenarios), runs the backtest over them and joins
the verdicts with the labels (bench.scenario_eval). `--seeds` runs several seeds and prints each
and the totals; `--sweep` re-scores with the candidate thresholds of SWEEP, for the decision log;
`--json` prints one JSON document instead of text.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from bench.scenario_eval import Outcome, category_lines, evaluate, merged, overall_line
from engine import Thresholds
from engine.thresholds import DEFAULT_THRESHOLDS
from ingest.backtest import run_backtest
from pricing import Catalogue, load_catalogue

__all__ = ["Outcome", "candidates", "evaluate", "generate", "main", "read_labels"]

CHOSEN = "chosen (defaults)"
# Candidate thresholds for `--sweep`: a name and the Thresholds fields it overrides (a dict
# for a mapping field overrides only the keys it names). Candidates naming a field Thresholds
# does not have are skipped with a note, so this list survives changes to engine.Thresholds.
SWEEP: list[tuple[str, dict[str, Any]]] = [
    ("medium z = 2.0", {"z": {"medium": 2.0}}),
    ("medium z = 3.0", {"z": {"medium": 3.0}}),
    ("medium z = 3.5", {"z": {"medium": 3.5}}),
    ("alert score = 0.15", {"alert_score": 0.15}),
    ("alert score = 0.45", {"alert_score": 0.45}),
    ("no per-size history", {"size_history_min": 10**9}),
    ("actor weight 0.30", {"weight_actor": 0.30}),
    ("no std floor", {"std_floor_ratio": 0.0}),
    # Issue 9 detectors (docs/decisions/0004-unusual-not-only-expensive.json).
    ("recurrence 6 h", {"recurrence_hours": 6.0}),
    ("recurrence 36 h", {"recurrence_hours": 36.0}),
    ("z above max x1.0", {"z_above_max": 1.0}),
    ("z above max x2.0", {"z_above_max": 2.0}),
    ("burst factor 2", {"burst_factor": 2.0, "burst_min_extra": 2}),
    ("burst factor 8", {"burst_factor": 8.0}),
    ("rate factor 1.5", {"rate_factor": 1.5, "rate_min_calls": 4}),
    ("rate factor 3", {"rate_factor": 3.0}),
    ("size jump 2 steps", {"size_jump_steps": 2.0}),
    ("size jump 4 steps", {"size_jump_steps": 4.0}),
    ("origin 2 calls/network", {"origin_calls_per_value": 2}),
    ("origin 8 calls/network", {"origin_calls_per_value": 8}),
]


def generate(
    out: Path, days: int, accounts: int, seed: int, noise_ratio: float | None = None
) -> Path:
    """Write labelled logs with the scenario generator; returns the labels file."""
    command = [
        sys.executable, "-m", "bench.scenarios", "--out", str(out),
        "--days", str(days), "--accounts", str(accounts), "--seed", str(seed),
    ]  # fmt: skip
    if noise_ratio is not None:
        command += ["--noise-ratio", str(noise_ratio)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out / "labels.jsonl"


def read_labels(path: Path) -> dict[str, dict[str, Any]]:
    """eventId -> label line, in file (time) order."""
    labels: dict[str, dict[str, Any]] = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            item = orjson.loads(line)
            labels[item["eventId"]] = item
    return labels


def _override(base: Thresholds, changes: Mapping[str, Any]) -> Thresholds | None:
    known = {f.name for f in fields(base)}
    if not set(changes) <= known:
        return None
    values: dict[str, Any] = {}
    for name, value in changes.items():
        current = getattr(base, name)
        if isinstance(value, dict) and isinstance(current, Mapping):
            value = MappingProxyType({**current, **value})
        values[name] = value
    return replace(base, **values)


def candidates(sweep: bool = True) -> Iterator[tuple[str, Thresholds]]:
    """The defaults, then (with `sweep`) every SWEEP candidate Thresholds accepts."""
    yield CHOSEN, DEFAULT_THRESHOLDS
    if not sweep:
        return
    for name, changes in SWEEP:
        thresholds = _override(DEFAULT_THRESHOLDS, changes)
        if thresholds is None:
            print(f"sweep: skipping {name!r}: Thresholds has no {sorted(changes)}", file=sys.stderr)
            continue
        yield name, thresholds


def _parse_seeds(args: argparse.Namespace) -> list[int]:
    if args.seeds:
        return [int(s) for s in args.seeds.split(",") if s.strip()]
    return [args.seed]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.scenario_bench")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", help="comma-separated seeds, e.g. 1,2,3 (overrides --seed)")
    parser.add_argument("--sweep", action="store_true", help="also score SWEEP's candidates")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    return parser


def _print_run(name: str, outcome: Outcome, detailed: bool, missed: bool = True) -> None:
    print(overall_line(outcome, name))
    if detailed:
        for line in category_lines(outcome):
            print(line)
        for item in outcome.missed if missed else ():
            print(f"    missed: {item}")


def _score(
    catalogue: Catalogue, data: dict[int, tuple[Path, dict[str, dict[str, Any]]]],
    name: str, thresholds: Thresholds, as_json: bool,
) -> dict[str, Any]:  # fmt: skip
    per_seed: dict[int, Outcome] = {}
    for seed, (logs, labels) in data.items():
        per_seed[seed] = evaluate(run_backtest([str(logs)], catalogue, thresholds), labels)
        if not as_json and len(data) > 1:
            _print_run(f"{name} [seed {seed}]", per_seed[seed], name == CHOSEN)
    total = merged(per_seed.values())
    if not as_json:
        label = f"{name} [seeds {','.join(map(str, data))}]" if len(data) > 1 else name
        _print_run(label, total, name == CHOSEN, missed=len(data) == 1)
    return {
        "name": name,
        "seeds": {str(s): o.as_json() for s, o in per_seed.items()},
        "total": total.as_json(),
    }


def main(argv: list[str] | None = None) -> int:
    """Generate, backtest, evaluate, print."""
    args = _parser().parse_args(argv)
    seeds = _parse_seeds(args)
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        data: dict[int, tuple[Path, dict[str, dict[str, Any]]]] = {}
        took: dict[str, float] = {}
        for seed in seeds:
            began = time.perf_counter()
            out = Path(tmp) / f"seed-{seed}"
            labels = read_labels(generate(out, args.days, args.accounts, seed))
            took[str(seed)] = round(time.perf_counter() - began, 2)
            data[seed] = (out / "AWSLogs", labels)
        if not args.json:
            print(f"generated seeds {seeds} in {sum(took.values()):.1f}s ({took})")
        runs = [_score(catalogue, data, n, t, args.json) for n, t in candidates(args.sweep)]
    if args.json:
        report = {"days": args.days, "accounts": args.accounts, "seeds": seeds}
        report |= {"generation_seconds": took, "runs": runs}
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
