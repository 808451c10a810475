"""Where the backtest's files come from, in delivery order, and their scans, read ahead.

A path is an `s3://bucket/prefix/`, a local CloudTrail layout (a directory holding `AWSLogs/`, or
`AWSLogs/` itself: walked a day at a time), or any other files and directories (listed whole,
sorted). Several paths are merged by delivery time. Files are scanned in a process pool when
`workers` > 1, a bounded number ahead of the one being consumed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from types import TracebackType

from ingest.layout import Filters, LocalLister, LogRef, awslogs_base, delivery_order, ref, walk
from ingest.logfiles import BadInput, Scan, discover, scan_bytes, scan_file
from ingest.s3logs import S3Reader, S3ReadError

AHEAD_PER_WORKER = 8
POOL_AFTER = 64  # files: fewer are read faster than a process pool starts


async def _listed(path: str, root: int) -> AsyncIterator[LogRef]:
    files, _ = discover([path])
    refs = delivery_order(ref(str(f), root, _size(f)) for f in files)
    for number, item in enumerate(refs):
        yield LogRef(item.name, item.order, item.delivered, item.size, number / len(refs))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _key(item: LogRef) -> tuple[str, tuple[object, ...]]:
    return item.delivered or "", item.order


async def merged(streams: list[AsyncIterator[LogRef]]) -> AsyncIterator[LogRef]:
    """Several delivery-ordered streams as one (by delivery time, then path)."""
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

    async def _scan(self, item: LogRef) -> Scan:
        loop = asyncio.get_running_loop()
        if item.name.startswith("s3://"):
            assert self.s3 is not None
            try:
                data = await self.s3.get(item.name)
            except S3ReadError as exc:
                return Scan(bad=[BadInput(item.name, str(exc))])
            if self._pool is None:
                return scan_bytes(data, item.name)
            return await loop.run_in_executor(self._pool, scan_bytes, data, item.name)
        if self._pool is None:
            return scan_file(item.name)
        return await loop.run_in_executor(self._pool, scan_file, item.name)

    async def scans(self) -> AsyncIterator[tuple[LogRef, Scan]]:
        """(file, scan) in delivery order, scanning a bounded number ahead."""
        ahead = max(self.workers, self.s3.concurrency if self.s3 else 1) * AHEAD_PER_WORKER
        pending: deque[tuple[LogRef, asyncio.Task[Scan]]] = deque()
        try:
            async for item in self.refs():
                self._listed += 1
                if self._pool is None and self.workers > 1 and self._listed >= POOL_AFTER:
                    # forkserver: workers never inherit the loop's threads or locks.
                    context = multiprocessing.get_context("forkserver")
                    self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
                if not pending and self._pool is None and not item.name.startswith("s3://"):
                    yield item, scan_file(item.name)  # nothing to overlap: no task, no await
                    continue
                pending.append((item, asyncio.create_task(self._scan(item))))
                if len(pending) >= ahead:
                    done, task = pending.popleft()
                    yield done, await task
            while pending:
                done, task = pending.popleft()
                yield done, await task
        finally:
            for _, task in pending:
                task.cancel()
