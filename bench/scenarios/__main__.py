"""Command line: `python -m bench.scenarios --out DIR [--days N] [--seed S] ...`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bench.scenarios._model import ScenarioError
from bench.scenarios._plan import DEFAULT_START, Config
from bench.scenarios._prices import CataloguePrices
from bench.scenarios.generator import write


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scenarios",
        description="Write labelled CloudTrail logs as CloudTrail delivers them to S3: "
        "DIR/AWSLogs/... (replaced on every run) and DIR/labels.jsonl.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--days", type=int, default=30, help="days to simulate (30)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--accounts", type=int, default=4, help="accounts; with 2 or more the last is brand new (4)"
    )
    parser.add_argument(
        "--noise-ratio",
        type=float,
        default=0.9,
        help="share of records that are not cost-relevant, in [0, 1) (0.9)",
    )
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        help=f"first day, YYYY-MM-DD, UTC ({DEFAULT_START.isoformat()})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the generator; print a one-line summary."""
    args = _parser().parse_args(argv)
    config = Config(args.days, args.seed, args.accounts, args.noise_ratio, args.start)
    began = time.perf_counter()
    try:
        config.check()
        summary = write(config, CataloguePrices(), args.out)
    except ScenarioError as exc:
        print(f"bench.scenarios: {exc}", file=sys.stderr)
        return 2
    took = time.perf_counter() - began
    print(
        f"{summary.records} records ({summary.noise} noise, {summary.labelled} labelled, "
        f"{summary.incidents} incidents) in {summary.files} files under {args.out} "
        f"in {took:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
