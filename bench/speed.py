"""Speed benchmarks: the backtest against bare gzip + orjson parsing, and the engine alone.

    python -m bench.speed [--days 30] [--accounts 4] [--repeat 3] [PATH …]

Without PATH it generates the scenario logs first. Figures are best-of-N wall times on one core.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from bench.scenario_bench import generate
from engine import Replay
from ingest._fullsort import sorted_records
from ingest.backtest import run_backtest
from ingest.logfiles import discover
from pricing import load_catalogue


def best_of(
    repeat: int, work: Callable[[], object], clock: Callable[[], float] = time.perf_counter
) -> float:
    """The fastest of `repeat` runs, in seconds of `clock` (wall time unless told)."""
    times = []
    for _ in range(repeat):
        started = clock()
        work()
        times.append(clock() - started)
    return min(times)


def bare_parse(files: list[Path]) -> int:
    """gzip + orjson over every file: the floor any reader pays."""
    count = 0
    for path in files:
        data = path.read_bytes()
        document = orjson.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        count += len(document.get("Records", ())) if isinstance(document, dict) else 1
    return count


def engine_rate(paths: list[str], repeat: int) -> tuple[int, float]:
    """Cost events per second through normalise + price + score + learn, records in memory."""
    records = sorted_records(paths)
    catalogue = load_catalogue()

    def work() -> None:
        replay = Replay(catalogue)
        for raw in records:
            replay.process(raw)

    return len(records), best_of(repeat, work)


def report(paths: list[str], repeat: int) -> None:
    """Print the figures the README quotes."""
    files, _ = discover(paths)
    load_catalogue()
    records = bare_parse(files)
    bare = best_of(repeat, lambda: bare_parse(files))
    full = best_of(repeat, lambda: run_backtest(paths, load_catalogue()))
    events, engine_s = engine_rate(paths, repeat)
    print(f"input: {len(files)} files, {records:,} records, {events:,} cost events")
    print(f"bare gzip+orjson parse: {bare:.3f} s ({records / bare:,.0f} records/s)")
    print(f"backtest end to end:    {full:.3f} s ({records / full:,.0f} records/s)")
    print(f"ratio backtest / bare parse: {full / bare:.2f}x (target <= 3x)")
    print(f"engine alone: {events / engine_s:,.0f} cost events/s (target >= 20,000)")


def main(argv: list[str] | None = None) -> int:
    """Generate logs if no path is given, then measure."""
    parser = argparse.ArgumentParser(prog="python -m bench.speed")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.paths:
        report(args.paths, args.repeat)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.days, args.accounts, seed=1)
        report([str(Path(tmp) / "AWSLogs")], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
