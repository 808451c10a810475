"""CloudTrail logs straight from S3: the layout walk over S3 prefixes, and bounded concurrent GETs.

Credentials come from botocore's usual chain (environment, profile, SSO, instance role). Throttling
(`SlowDown`, 503) and dropped connections are retried by botocore's adaptive mode with backoff;
a GET that still fails is reported as that file's `BadInput`, never raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from ingest.layout import Filters, LogRef, delivery_order, is_log, ref, walk

if TYPE_CHECKING:
    import aioboto3

DEFAULT_CONCURRENCY = 32
RETRIES = {"total_max_attempts": 8, "mode": "adaptive"}


class S3ReadError(Exception):
    """A listing or GET that failed after the retries (the message names the key)."""


def split_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix/") (prefix empty or ending in '/')."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if prefix and not prefix.endswith("/") and not is_log(prefix):
        prefix += "/"
    return bucket, prefix


class _Lister:
    """The layout walk's Lister over one bucket (names come back as s3:// URLs)."""

    def __init__(self, reader: S3Reader, bucket: str) -> None:
        self.reader = reader
        self.bucket = bucket

    async def dirs(self, prefix: str) -> list[str]:
        """Common prefixes one level under `prefix`, as names."""
        found: list[str] = []
        async for page in self.reader.pages(self.bucket, prefix, delimiter="/"):
            for common in page.get("CommonPrefixes", ()):
                found.append(common["Prefix"][len(prefix) :].rstrip("/"))
        return sorted(found)

    async def files(self, prefix: str) -> list[str]:
        """Objects directly under `prefix`, as s3:// URLs."""
        found: list[str] = []
        async for page in self.reader.pages(self.bucket, prefix, delimiter="/"):
            for item in page.get("Contents", ()):
                found.append(f"s3://{self.bucket}/{item['Key']}")
        return found


class S3Reader:
    """Lists and reads log objects; an async context manager that owns one S3 client."""

    def __init__(
        self,
        session: aioboto3.Session,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self.region = region
        self.concurrency = concurrency
        self._gate = asyncio.Semaphore(concurrency)
        self._context: Any = None
        self._client: Any = None

    async def __aenter__(self) -> S3Reader:
        config = AioConfig(retries=RETRIES, max_pool_connections=self.concurrency)
        self._context = self.session.client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
        )
        self._client = await self._context.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._context is not None:
            await self._context.__aexit__(kind, error, trace)
            self._context = self._client = None

    async def pages(
        self, bucket: str, prefix: str, delimiter: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """ListObjectsV2 pages under a prefix."""
        arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            arguments["Delimiter"] = delimiter
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            async for page in paginator.paginate(**arguments):
                yield page
        except (ClientError, BotoCoreError) as exc:
            raise S3ReadError(f"s3://{bucket}/{prefix}: cannot list: {exc}") from exc

    async def walk(self, url: str, root: int, filters: Filters) -> AsyncIterator[LogRef]:
        """The log files under an s3:// URL, in delivery order (pruned by the layout)."""
        bucket, prefix = split_url(url)
        lister = _Lister(self, bucket)
        base = await self._awslogs(lister, prefix)
        if base is not None:
            async for item in walk(lister, base, root, filters):
                yield item
            return
        async for item in self._flat(bucket, prefix, root):
            yield item

    async def _awslogs(self, lister: _Lister, prefix: str) -> str | None:
        if prefix.endswith("AWSLogs/"):
            return prefix
        if "AWSLogs" in await lister.dirs(prefix):
            return f"{prefix}AWSLogs/"
        return None

    async def _flat(self, bucket: str, prefix: str, root: int) -> AsyncIterator[LogRef]:
        """Not a CloudTrail layout: every log object under the prefix, listed whole."""
        refs: list[LogRef] = []
        async for page in self.pages(bucket, prefix):
            for item in page.get("Contents", ()):
                if is_log(item["Key"]):
                    name = f"s3://{bucket}/{item['Key']}"
                    refs.append(ref(name, root))
        for item in delivery_order(refs):
            yield item

    async def get(self, url: str) -> bytes:
        """One object's bytes (at most `concurrency` GETs at a time)."""
        bucket, _, key = url.removeprefix("s3://").partition("/")
        async with self._gate:
            try:
                response = await self._client.get_object(Bucket=bucket, Key=key)
                async with response["Body"] as body:
                    data: bytes = await body.read()
            except (ClientError, BotoCoreError) as exc:
                raise S3ReadError(f"{url}: cannot read: {exc}") from exc
        return data
