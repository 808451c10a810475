"""Who is asking: `Authorization: Bearer dd0c_live_…` → the key (and so the workspace), its
scope, and its share of requests per minute (a fixed window counted in Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import redis.asyncio as aioredis

from api.errors import Forbidden, RateLimited, Unauthorized
from storage import Store
from storage.apikeys import ApiKey

WINDOW_SECONDS = 60
MAX_HEADER = 200
Scope = Literal["read", "write"]


def bearer(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header; Unauthorized when there is none."""
    if not header or len(header) > MAX_HEADER:
        raise Unauthorized("send an API key: Authorization: Bearer dd0c_live_…", code="no_key")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be: Bearer dd0c_live_…", code="no_key")
    return token.strip()


@dataclass(slots=True)
class RateLimit:
    """Requests per minute per key, counted in Redis under `prefix`.

    At most `concurrency` counts are in flight at once (the rest wait their turn): redis-py's
    pool refuses a connection past its size (100) instead of waiting, and a burst of requests
    must queue, not fail.
    """

    redis: aioredis.Redis
    prefix: str
    per_minute: int
    concurrency: int = 32
    _gate: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._gate = asyncio.Semaphore(self.concurrency)

    async def take(self, key_id: str, now: datetime) -> None:
        """Count one request; RateLimited (with Retry-After) past the limit."""
        second = int(now.timestamp())
        window = second // WINDOW_SECONDS
        counter = f"{self.prefix}api:rate:{key_id}:{window}"
        async with self._gate, self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, WINDOW_SECONDS * 2)
            used, _ = await pipe.execute()
        if int(used) > self.per_minute:
            retry = WINDOW_SECONDS - second % WINDOW_SECONDS
            raise RateLimited(
                f"this key may make {self.per_minute} requests a minute; retry in {retry} s",
                code="rate_limited",
                headers={"Retry-After": str(retry)},
            )


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Checks a request's key, scope and rate."""

    store: Store
    limit: RateLimit
    clock: Callable[[], datetime]

    async def check(self, header: str | None, needs: Scope) -> ApiKey:
        """The live key of the request; Unauthorized / Forbidden / RateLimited otherwise."""
        now = self.clock()
        key = await self.store.api_keys.verify(bearer(header), now)
        if key is None:
            raise Unauthorized("unknown or revoked API key", code="invalid_key")
        if needs == "write" and key.scope != "write":
            raise Forbidden(
                "this key is read-only; create a write key with /dd0c api-key create <name> write",
                code="scope",
            )
        await self.limit.take(key.id, now)
        return key
