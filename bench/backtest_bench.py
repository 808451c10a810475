"""Backtest at archive scale: speed against bare parsing, the process pool, memory, S3.

    python -m bench.backtest_bench speed [PATH] [--repeat 3] [--compiled]
    python -m bench.backtest_bench rss PATH            # peak RSS of one backtest, fresh process
    python -m bench.backtest_bench s3 [PATH] [--files 2000]
    python -m bench.backtest_bench density [--repeat 3]   # the one-core ratio by cost-event share

Without PATH, `speed` and `s3` generate the scenario logs (30 days, 4 accounts, seed 1) first.
`speed` prints CPU seconds of one process for the single-core figures (the machine is shared, CPU
time is what the code costs) and wall seconds for the all-cores run. `--compiled` runs the same
measurement from a copy of the checkout with the engine compiled (bench.compiled: the build
`make wheel` ships, which a user's `dd0c-cost backtest` runs).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import compiled
from bench.scenario_bench import generate
from bench.speed import bare_parse, best_of
from ingest._window import Window
from ingest.backtest import (
    DEFAULT_WINDOW,
    Collected,
    Options,
    _quiet_collector,
    _take_scan,
    run_backtest,
)
from ingest.layout import Filters
from ingest.logfiles import discover
from ingest.sources import Sources
from pricing import load_catalogue


def read_only(paths: list[str]) -> int:
    """The backtest's reading alone (listing, prefilter, window, duplicates), engine left out."""
    out = Collected()
    window = Window(DEFAULT_WINDOW)

    async def run() -> None:
        async with Sources(paths, Filters(), 1, None) as sources:
            async for ref, scan in sources.scans():
                out.add(ref, scan)
                _take_scan(scan, ref, out, window)
                for _ in window.advance(ref.delivered):
                    pass
            for _ in window.drain():
                pass

    with _quiet_collector():  # as the backtest runs
        asyncio.run(run())
    return out.records_read


def _frozen_bare(files: list[Path]) -> None:
    """The bare parse with the collector frozen, as the backtest runs (the strictest floor:
    no collection walks the price catalogue loaded in this process)."""
    gc.freeze()
    try:
        bare_parse(files)
    finally:
        gc.unfreeze()


def speed(paths: list[str], repeat: int) -> None:
    """Single core against bare parsing; all cores against single core. The one-core runs are
    interleaved (bare, frozen bare, reading, backtest, again), best of `repeat` each."""
    files, _ = discover(paths)
    catalogue = load_catalogue()
    records = bare_parse(files)
    one = Options(workers=1, keep=False)
    every = Options(workers=os.cpu_count() or 1, keep=False)
    cpu = time.process_time
    runs = {
        "bare": lambda: bare_parse(files),
        "frozen": lambda: _frozen_bare(files),
        "reading": lambda: read_only(paths),
        "single": lambda: run_backtest(paths, catalogue, options=one),
    }
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, work in runs.items():
            took = best_of(1, work, cpu)
            best[name] = min(best.get(name, took), took)
    bare, frozen, reading, single = (best[n] for n in ("bare", "frozen", "reading", "single"))
    wall = time.perf_counter
    single_wall = best_of(repeat, lambda: run_backtest(paths, catalogue, options=one), wall)
    multi_wall = best_of(repeat, lambda: run_backtest(paths, catalogue, options=every), wall)
    summary = run_backtest(paths, catalogue, options=one).summary()
    print(
        f"input: {len(files):,} files, {records:,} records, {summary['costEvents']:,} cost events"
    )
    print(f"bare gzip+orjson parse:   {bare:.3f} CPU s ({records / bare:,.0f} records/s)")
    print(f"  the same, gc frozen:    {frozen:.3f} CPU s (the strict floor)")
    print(
        f"reading only, one core:   {reading:.3f} CPU s ({records / reading:,.0f} records/s): "
        f"{reading / bare:.2f}x bare parse (prefilter + window, engine left out)"
    )
    print(f"backtest, one core:       {single:.3f} CPU s ({records / single:,.0f} records/s)")
    print(
        f"ratio backtest / bare parse (one core): {single / bare:.2f}x; against the strict "
        f"floor {single / frozen:.2f}x (target <= 1.0x)"
    )
    print(f"backtest wall, 1 process: {single_wall:.3f} s")
    print(
        f"backtest wall, {every.workers} processes: {multi_wall:.3f} s "
        f"(speed-up {single_wall / multi_wall:.2f}x on {os.cpu_count()} cores)"
    )


NOISE_RATIOS = (0.9, 0.95, 0.98, 0.99, 0.995)  # 10 % of the records cost events, down to 0.5 %


def _bare_and_backtest(
    files: list[Path], paths: list[str], catalogue: Any, repeat: int
) -> tuple[float, float]:
    """CPU seconds of the bare parse and of the one-core backtest, interleaved, best of each."""
    one = Options(workers=1, keep=False)
    cpu = time.process_time
    bare = single = float("inf")
    for _ in range(repeat):
        bare = min(bare, best_of(1, lambda: bare_parse(files), cpu))
        single = min(single, best_of(1, lambda: run_backtest(paths, catalogue, options=one), cpu))
    return bare, single


def density(repeat: int, ratios: tuple[float, ...] = NOISE_RATIOS, days: int = 7) -> None:
    """The one-core ratio as the share of cost events changes: the same 7 days of 4 accounts
    (the same cost events), buried in more and more other calls. Each cost event costs the
    processor about 20x what parsing a record costs, so the ratio follows the share."""
    catalogue = load_catalogue()
    one = Options(workers=1, keep=False)
    for noise in ratios:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), days, 4, seed=1, noise_ratio=noise)
            paths = [str(Path(tmp) / "AWSLogs")]
            files, _ = discover(paths)
            bare, single = _bare_and_backtest(files, paths, catalogue, repeat)
            summary = run_backtest(paths, catalogue, options=one).summary()
        records, events = summary["recordsRead"], summary["costEvents"]
        print(
            f"{events / records:6.1%} cost events ({events:,} of {records:,} records, "
            f"{len(files):,} files): bare parse {bare:.3f} CPU s, backtest {single:.3f} s "
            f"= {single / bare:.2f}x"
        )


def rss(paths: list[str]) -> None:
    """Peak RSS of one backtest in this (fresh) process, result streamed, not kept."""
    started = time.perf_counter()
    result = run_backtest(paths, load_catalogue(), options=Options(workers=1, keep=False))
    seconds = time.perf_counter() - started
    summary = result.summary()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"records {summary['recordsRead']:,}, cost events {summary['costEvents']:,}, "
        f"late {summary['lateRecords']}, held at most {result.collected.held_peak:,} records; "
        f"peak RSS {peak_mb:,.0f} MB; {seconds:.1f} s"
    )


def _moto_session() -> Any:
    """moto's fake credentials, whatever the environment holds (never real ones to a fake)."""
    import aioboto3

    return aioboto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


async def _upload(endpoint: str, bucket: str, root: Path, files: list[Path]) -> int:
    session = _moto_session()
    total = 0
    gate = asyncio.Semaphore(32)
    async with session.client("s3", endpoint_url=endpoint, region_name="us-east-1") as s3:
        await s3.create_bucket(Bucket=bucket)

        async def put(path: Path) -> int:
            async with gate:
                body = path.read_bytes()
                key = str(path.relative_to(root))
                await s3.put_object(Bucket=bucket, Key=key, Body=body)
                return len(body)

        total = sum(await asyncio.gather(*(put(p) for p in files)))
    return total


def s3(paths: list[str], limit: int) -> None:
    """The backtest reading from moto's S3 server (its own process) over HTTP."""
    from bench.local_aws import moto_process
    from ingest.s3logs import S3Reader

    root = Path(paths[0]).parent
    files, _ = discover(paths)
    files = files[:limit]
    with moto_process() as endpoint:
        size = asyncio.run(_upload(endpoint, "bench-trail", root, files))
        reader = S3Reader(_moto_session(), endpoint_url=endpoint, region="us-east-1")
        started = time.perf_counter()
        result = run_backtest(
            ["s3://bench-trail/"], load_catalogue(), options=Options(s3=reader, keep=False)
        )
        seconds = time.perf_counter() - started
    summary = result.summary()
    print(
        f"S3 (moto, own process): {summary['files']:,} files, {size / 1e6:,.1f} MB, "
        f"{summary['recordsRead']:,} records in {seconds:.2f} s: "
        f"{summary['files'] / seconds:,.0f} files/s, {size / 1e6 / seconds:,.1f} MB/s, "
        f"{summary['recordsRead'] / seconds:,.0f} records/s"
    )


def main(argv: list[str] | None = None) -> int:
    """Generate logs if no path is given, then measure."""
    parser = argparse.ArgumentParser(prog="python -m bench.backtest_bench")
    parser.add_argument("what", choices=("speed", "rss", "s3", "density"))
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--compiled", action="store_true", help="measure the compiled engine")
    args = parser.parse_args(argv)
    if args.compiled:
        return _in_compiled_copy(args)
    if args.what == "density":
        density(args.repeat)
        return 0
    if args.paths:
        _measure(args, args.paths)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), 30, 4, seed=1)
        _measure(args, [str(Path(tmp) / "AWSLogs")])
    return 0


def _measure(args: argparse.Namespace, paths: list[str]) -> None:
    if args.what == "speed":
        speed(paths, args.repeat)
    elif args.what == "rss":
        rss(paths)
    else:
        s3(paths, args.files)


def _in_compiled_copy(args: argparse.Namespace) -> int:
    """The same measurement, run from a compiled copy of the checkout (paths made absolute)."""
    paths = [str(Path(path).resolve()) for path in args.paths]
    rest = ["--repeat", str(args.repeat), "--files", str(args.files)]
    with tempfile.TemporaryDirectory() as tmp:
        copy = compiled.build(Path(tmp) / "compiled")
        print("== engine compiled (make wheel) ==", flush=True)
        command = [sys.executable, "-m", "bench.backtest_bench", args.what, *paths, *rest]
        return subprocess.run(command, cwd=copy, check=False).returncode


def rss_in_fresh_process(paths: list[str]) -> str:
    """`rss` in a child process (its own peak), for callers that run several sizes."""
    command = [sys.executable, "-m", "bench.backtest_bench", "rss", *paths]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


if __name__ == "__main__":
    raise SystemExit(main())
