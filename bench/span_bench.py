"""What scoring spans cost: the service's event path (EventProcessor over in-memory ports) with
spans off and with spans exported over OTLP/HTTP (batch processor) to a local receiver.

    python -m bench.span_bench [--days 14] [--accounts 2] [--repeat 3]

The receiver runs in this process (a thread that reads and drops each request), so the figure
includes the exporter's serialisation and HTTP on the same core: a pessimistic ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.scenario_bench import generate
from ingest._fullsort import sorted_records
from ingest.memory import MemoryStore
from ingest.processor import EventProcessor
from pricing import Catalogue, load_catalogue
from telemetry.tracing import Tracing, start_tracing

KEY = b"span-bench-key-0123456789abcdef"


@contextmanager
def receiver() -> Iterator[tuple[str, list[int]]]:
    """A local OTLP/HTTP endpoint that reads and drops every request; (URL, body sizes)."""
    sizes: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            sizes.append(len(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", sizes
    finally:
        server.shutdown()
        server.server_close()


async def _run(records: list[Any], catalogue: Catalogue, tracing: Tracing | None) -> int:
    processor = EventProcessor(MemoryStore(), catalogue, lambda: datetime.now(UTC), tracing=tracing)
    for raw in records:
        await processor.process(raw)
    return processor.stats.events


def measure(records: list[Any], catalogue: Catalogue, endpoint: str | None) -> tuple[int, float]:
    """(cost events, seconds) for one pass; spans exported (and flushed) when `endpoint`."""
    tracing = None
    if endpoint is not None:
        tracing = start_tracing(KEY, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    started = time.perf_counter()
    events = asyncio.run(_run(records, catalogue, tracing))
    if tracing is not None:
        tracing.shutdown()  # the export of the last batch is part of the cost
    return events, time.perf_counter() - started


def report(paths: list[str], repeat: int) -> None:
    """Print events/s with spans off and on, and the ratio."""
    records = sorted_records(paths)
    catalogue = load_catalogue()
    with receiver() as (endpoint, sizes):
        off = min(measure(records, catalogue, None)[1] for _ in range(repeat))
        runs = [measure(records, catalogue, endpoint) for _ in range(repeat)]
    events = runs[0][0]
    on = min(seconds for _, seconds in runs)
    print(f"input: {len(records):,} cost-relevant records, {events:,} cost events")
    print(f"spans off: {events / off:,.0f} events/s ({off:.3f} s)")
    print(f"spans on:  {events / on:,.0f} events/s ({on:.3f} s), {sum(sizes):,} bytes exported")
    print(f"ratio on/off time: {on / off:.2f}x")


def main(argv: list[str] | None = None) -> int:
    """Generate scenario logs, then measure."""
    parser = argparse.ArgumentParser(prog="python -m bench.span_bench")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--accounts", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.days, args.accounts, seed=1)
        report([str(Path(tmp) / "AWSLogs")], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
