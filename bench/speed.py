"""Speed benchmarks: the backtest against bare gzip + orjson parsing, and the engine alone.

    python -m bench.speed [--days 30] [--accounts 4] [--repeat 3] [--pure-only] [PATH …]

Without PATH it generates the scenario logs first. Figures are best-of-N wall times on one core,
except the engine's: best-of-N CPU seconds of the process (other work on a shared machine inflates
wall time far more than CPU time).
The engine is measured twice: pure Python (the checkout, as `make install` runs it) and compiled
with mypyc (`bench.compiled`: what `make wheel` ships and production runs).
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from bench import compiled
from bench.scenario_bench import generate
from engine import Replay, scoring
from ingest._fullsort import sorted_records
from ingest.backtest import Options, run_backtest
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
    """Cost events and the best seconds of normalise + price + score + learn, records in memory."""
    records = sorted_records(paths)
    catalogue = load_catalogue()
    events = sum(verdict is not None for _, verdict in Replay(catalogue).run(records))

    def work() -> None:
        replay = Replay(catalogue)
        for raw in records:
            replay.process(raw)

    return events, best_of(repeat, work, time.process_time)  # CPU seconds: steadier on a busy host


def compiled_rate(paths: list[str], repeat: int) -> tuple[int, float]:
    """`engine_rate` in a subprocess running from a compiled copy of the checkout."""
    absolute = [str(Path(path).resolve()) for path in paths]
    with tempfile.TemporaryDirectory() as tmp:
        copy = compiled.build(Path(tmp) / "compiled")
        done = subprocess.run(
            [sys.executable, "-m", "bench.speed", "--engine-only", "--repeat", str(repeat)]
            + absolute,
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    events, seconds, where = done.stdout.split()
    if not compiled.is_compiled(where):
        raise compiled.BuildError(f"the compiled copy ran {where}, not an extension")
    return int(events), float(seconds)


def report(paths: list[str], repeat: int, pure_only: bool = False) -> None:
    """Print the figures the README quotes."""
    files, _ = discover(paths)
    load_catalogue()
    records = bare_parse(files)
    bare = best_of(repeat, lambda: bare_parse(files))
    # As `dd0c-cost backtest` runs: one process, the report streamed (nothing kept).
    one = Options(workers=1, keep=False)
    full = best_of(repeat, lambda: run_backtest(paths, load_catalogue(), options=one))
    events, engine_s = engine_rate(paths, repeat)
    print(f"input: {len(files)} files, {records:,} records, {events:,} cost events")
    print(f"bare gzip+orjson parse: {bare:.3f} s ({records / bare:,.0f} records/s)")
    print(f"backtest end to end:    {full:.3f} s ({records / full:,.0f} records/s)")
    print(f"ratio backtest / bare parse: {full / bare:.2f}x (target <= 3x)")
    print(f"engine alone, pure Python: {events / engine_s:,.0f} cost events/s ({events:,} events)")
    if not pure_only:
        events, fast_s = compiled_rate(paths, repeat)
        print(
            f"engine alone, compiled (as deployed): {events / fast_s:,.0f} cost events/s "
            f"(target >= 20,000; {engine_s / fast_s:.2f}x the pure-Python engine)"
        )


def main(argv: list[str] | None = None) -> int:
    """Generate logs if no path is given, then measure."""
    parser = argparse.ArgumentParser(prog="python -m bench.speed")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pure-only", action="store_true", help="skip the compiled engine")
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine_only:  # the compiled copy's half of compiled_rate
        events, seconds = engine_rate(args.paths, args.repeat)
        print(events, seconds, scoring.__file__)
        return 0
    if args.paths:
        report(args.paths, args.repeat, args.pure_only)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.days, args.accounts, seed=1)
        report([str(Path(tmp) / "AWSLogs")], args.repeat, args.pure_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
