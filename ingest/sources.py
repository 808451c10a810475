"""Where the backtest's files come from, in delivery order, and their scans, read ahead.

A path is an `s3://bucket/prefix/`, a local CloudTrail layout (a directory holding `AWSLogs/`, or
`AWSLogs/` itself: walked a day at a time), or any other files and directories (listed whole,
sorted). Several paths are merged by delivery time. Files are scanned in a process pool when
`workers` > 1, a bounded number ahead of the one being consumed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from ingest.layout import Filters, LocalLister, LogRef, awslogs_base, delivery_order, ref, walk
from ingest.logfiles import BadInput, Scan, discover, scan_bytes, scan_file, scan_files
from ingest.s3logs import S3Reader, S3ReadError

AHEAD_PER_WORKER = 8  # S3 GETs under way per worker or connection
BATCH = 32  # local files a worker scans in one round trip (a task per file costs more than it)
BATCHES_PER_WORKER = 3
POOL_AFTER = 64  # files: fewer are read faster than a process pool starts
POOL_COST_SHARE = 0.05  # records that are cost events, at most, for the pool to start


async def _listed(path: str, root: int) -> AsyncIterator[LogRef]:
    files, _ = discover([path])
    refs = delivery_order(ref(str(f), root) for f in files)
    for number, item in enumerate(refs):
        yield LogRef(item.name, item.order, item.delivered, number / len(refs))


def _key(item: LogRef) -> tuple[str, tuple[object, ...]]:
    return item.delivered or "", item.order


def merged(streams: list[AsyncIterator[LogRef]]) -> AsyncIterator[LogRef]:
    """Several delivery-ordered streams as one (by delivery time, then path); one stream is
    itself (a generator in between would cost a resumption a file)."""
    return streams[0] if len(streams) == 1 else _merged(streams)


async def _merged(streams: list[AsyncIterator[LogRef]]) -> AsyncIterator[LogRef]:
    heads: dict[int, LogRef] = {}
    for number, stream in enumerate(streams):
        first = await anext(stream, None)
        if first is not None:
            heads[number] = first
    while heads:
        number = min(heads, key=lambda n: _key(heads[n]))
        yield heads[number]
        following = await anext(streams[number], None)
        if following is None:
            del heads[number]
        else:
            heads[number] = following


def _context() -> multiprocessing.context.BaseContext:
    """fork while this process has one thread: a worker starts at once, with every module
    already imported. Else forkserver, so that no worker inherits a lock another thread holds
    (a progress bar's refresh thread, a client's pool); its workers import what they need."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver")


class Sources:
    """The files under the backtest's paths and their scans (an async context manager)."""

    def __init__(
        self, paths: list[str], filters: Filters, workers: int, s3: S3Reader | None
    ) -> None:
        self.paths = paths
        self.filters = filters
        self.workers = workers
        self.s3 = s3
        self.missing: list[BadInput] = []
        self._pool: Executor | None = None
        self._listed = 0
        self._read = 0  # records read by this process (before a pool)
        self._kept = 0  # of which the scan kept (cost events, mostly)

    async def __aenter__(self) -> Sources:
        if self.s3 is not None:
            await self.s3.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self.s3 is not None:
            await self.s3.__aexit__(kind, error, trace)

    def _stream(self, path: str, root: int) -> AsyncIterator[LogRef] | None:
        if path.startswith("s3://"):
            if self.s3 is None:
                self.missing.append(BadInput(path, "no S3 client (use the command line)"))
                return None
            return self._reported(self.s3.walk(path, root, self.filters))
        local = Path(path)
        base = awslogs_base(local)
        if base is not None:
            return walk(LocalLister(), f"{base}/", root, self.filters)
        if not local.exists() and path != "-":
            self.missing.append(BadInput(path, "no such file or directory"))
            return None
        return _listed(path, root)

    async def _reported(self, stream: AsyncIterator[LogRef]) -> AsyncIterator[LogRef]:
        """A listing that fails ends its stream with a BadInput, the others carry on."""
        try:
            async for item in stream:
                yield item
        except S3ReadError as exc:
            self.missing.append(BadInput(str(exc).partition(": ")[0], str(exc)))

    def refs(self) -> AsyncIterator[LogRef]:
        """Every file, in delivery order."""
        streams = [self._stream(path, root) for root, path in enumerate(self.paths)]
        return merged([s for s in streams if s is not None])

    async def _fetched(self, item: LogRef) -> Scan:
        """An S3 object, fetched here (concurrently) and scanned here or in a worker."""
        assert self.s3 is not None
        try:
            data = await self.s3.get(item.name)
        except S3ReadError as exc:
            return Scan(bad=[BadInput(item.name, str(exc))])
        if self._pool is None:
            return scan_bytes(data, item.name)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, scan_bytes, data, item.name)

    async def _scanned(self, items: list[LogRef]) -> list[Scan]:
        """The scans of one S3 object, or of a batch of local files (one worker round trip)."""
        if items[0].name.startswith("s3://"):
            return [await self._fetched(items[0])]
        names = [item.name for item in items]
        if self._pool is None:
            return scan_files(names)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, scan_files, names)

    def _start_pool(self) -> None:
        """A process pool once there are enough files for it to pay (and workers > 1), and
        while reading is the work: when more than `POOL_COST_SHARE` of the records read so far
        are cost events, the engine (in this process) bounds the run and the pool only adds
        transfers (issue 17's figures: 0.75-1.0x on the scenario logs' 10 %, 1.3x on 1 %)."""
        if self._pool is not None or self.workers < 2 or self._listed < POOL_AFTER:
            return
        if self._kept > self._read * POOL_COST_SHARE:
            return
        self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())

    def _ahead(self) -> int:
        """How many tasks may be under way: batches for the pool, GETs for S3."""
        if self.s3 is not None:
            return max(self.workers, self.s3.concurrency) * AHEAD_PER_WORKER
        return self.workers * BATCHES_PER_WORKER

    async def scans(self) -> AsyncIterator[tuple[LogRef, Scan]]:
        """(file, scan) in delivery order, scanning a bounded number ahead. Local files are
        scanned here, in line, without a pool; with one, in batches of `BATCH`."""
        under = _Under(self._scanned)
        try:
            async for item in self.refs():
                self._listed += 1
                self._start_pool()
                remote = item.name.startswith("s3://")
                if self._pool is None and not remote and under.idle:
                    scan = scan_file(item.name)  # nothing to overlap: no task, no await
                    self._read += scan.read
                    self._kept += len(scan.records)
                    yield item, scan
                    continue
                under.add(item, batched=self._pool is not None and not remote)
                while len(under) >= self._ahead():
                    for pair in await under.next():
                        yield pair
            under.flush()
            while under:
                for pair in await under.next():
                    yield pair
        finally:
            under.cancel()


class _Under:
    """Scans under way, in delivery order: batches of local files, or one S3 object each."""

    def __init__(self, scanned: Callable[[list[LogRef]], Coroutine[Any, Any, list[Scan]]]) -> None:
        self._scanned = scanned
        self._pending: deque[tuple[list[LogRef], asyncio.Task[list[Scan]]]] = deque()
        self._batch: list[LogRef] = []

    @property
    def idle(self) -> bool:
        """Nothing under way or waiting in a batch."""
        return not self._pending and not self._batch

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, item: LogRef, batched: bool) -> None:
        """Start scanning a file: in the current batch, or alone (after the batch)."""
        if batched:
            self._batch.append(item)
            if len(self._batch) >= BATCH:
                self.flush()
            return
        self.flush()
        self._start([item])

    def flush(self) -> None:
        """Start the batch being gathered."""
        if self._batch:
            self._start(self._batch)
            self._batch = []

    def _start(self, items: list[LogRef]) -> None:
        self._pending.append((items, asyncio.create_task(self._scanned(items))))

    async def next(self) -> list[tuple[LogRef, Scan]]:
        """The oldest task's files with their scans."""
        items, task = self._pending.popleft()
        return list(zip(items, await task, strict=True))

    def cancel(self) -> None:
        """Stop what is under way (the consumer stopped early)."""
        for _, task in self._pending:
            task.cancel()
