"""The circuit breaker (seed 10.1): a flagged rule that floods an account switches itself off there.

Every alert a governance decision sees is counted in Redis, per account (the usual volume) and
per flagged rule that produced it (a one-hour sliding window of sorted-set members scored by
time). When one rule's alerts in the last hour exceed `factor` (3) times the account's usual
hourly volume (its alerts over the past `usual_days`, at least `floor` an hour), the breaker for
that rule and account opens: the flag is off for the account (`flags.Switches` reads
`open_flags`), governance keeps the rule's alerts instead of posting them, the operator is told
(log + metric), and `dd0c-cost alerts replay` closes it and re-delivers or drops what was kept.

    <prefix>breaker:alerts:<tenant>:<account>           ZSET alert id -> time (usual volume)
    <prefix>breaker:rule:<tenant>:<account>:<flag>      ZSET alert id -> time (last hour)
    <prefix>breaker:open:<tenant>:<account>             HASH flag -> {since, count, usual, reason}

A duplicate alert id counts once (ZADD). Redis unreadable: nothing trips and the open flags read
as none (logged) — the flags' own state decides, never silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
USUAL = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Trip:
    """One breaker that opened: which rule, for which account, and the figures."""

    tenant_id: str
    account_id: str
    flag: str
    count: int
    usual_per_hour: float
    limit: float
    since: datetime

    @property
    def reason(self) -> str:
        """The sentence kept with every alert it holds."""
        return (
            f"circuit breaker: flag {self.flag} produced {self.count} alerts for account "
            f"{self.account_id} in one hour, more than {self.limit:g} (3x the usual "
            f"{self.usual_per_hour:.2f}/h); switched off for this account, alerts kept for "
            "`dd0c-cost alerts replay`"
        )


class Breaker:
    """Counts alerts per account and flagged rule in Redis; opens and closes breakers."""

    def __init__(
        self,
        redis: Any,
        prefix: str,
        clock: Callable[[], datetime],
        *,
        factor: float = 3.0,
        floor: float = 1.0,
    ) -> None:
        self._redis, self._prefix, self._clock = redis, prefix, clock
        self.factor, self.floor = factor, floor

    def _key(self, kind: str, *parts: str) -> str:
        return f"{self._prefix}breaker:{kind}:" + ":".join(parts)

    async def record(
        self, tenant: str, account: str, alert_id: str, flags: Iterable[str]
    ) -> list[Trip]:
        """Count one alert (and the flagged rules that produced it); the breakers it opened."""
        now = self._clock().timestamp()
        try:
            usual = await self._count_account(tenant, account, alert_id, now)
            return [
                t
                for f in flags
                if (t := await self._count_rule(tenant, account, f, alert_id, now, usual))
            ]
        except RedisError as exc:
            logger.warning("circuit breaker unreadable; nothing trips (%s)", type(exc).__name__)
            return []

    async def _count_account(self, tenant: str, account: str, alert_id: str, now: float) -> float:
        """Record the alert for the account; its usual alerts per hour before the last hour."""
        key = self._key("alerts", tenant, account)
        hour = WINDOW.total_seconds()
        pipe = self._redis.pipeline(transaction=True)
        pipe.zadd(key, {alert_id: now}, nx=True)
        pipe.zremrangebyscore(key, "-inf", now - USUAL.total_seconds())
        pipe.zcount(key, now - USUAL.total_seconds(), now - hour)
        pipe.expire(key, int(USUAL.total_seconds() + hour))
        before = (await pipe.execute())[2]
        return float(before) / ((USUAL - WINDOW) / WINDOW)

    async def _count_rule(
        self, tenant: str, account: str, flag: str, alert_id: str, now: float, usual: float
    ) -> Trip | None:
        key = self._key("rule", tenant, account, flag)
        hour = WINDOW.total_seconds()
        pipe = self._redis.pipeline(transaction=True)
        pipe.zadd(key, {alert_id: now}, nx=True)
        pipe.zremrangebyscore(key, "-inf", now - hour)
        pipe.zcard(key)
        pipe.expire(key, int(2 * hour))
        count = int((await pipe.execute())[2])
        limit = self.factor * max(usual, self.floor)
        if count <= limit:
            return None
        trip = Trip(tenant, account, flag, count, usual, limit, self._clock())
        info = {
            "since": trip.since.isoformat(),
            "count": count,
            "usual": usual,
            "reason": trip.reason,
        }
        opened = await self._redis.hsetnx(
            self._key("open", tenant, account), flag, orjson.dumps(info)
        )
        return trip if opened else None

    async def open_flags(self, tenant: str, account: str) -> frozenset[str]:
        """The flags whose breaker is open for the account."""
        try:
            keys = await self._redis.hkeys(self._key("open", tenant, account))
        except RedisError as exc:
            logger.warning("circuit breakers unreadable (%s); none open", type(exc).__name__)
            return frozenset()
        return frozenset(k.decode() if isinstance(k, bytes) else str(k) for k in keys)

    async def opened(self, tenant: str, account: str) -> dict[str, dict[str, Any]]:
        """Flag -> what opened its breaker, for the account."""
        raw = await self._redis.hgetall(self._key("open", tenant, account))
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): orjson.loads(v)
            for k, v in raw.items()
        }

    async def close(self, tenant: str, account: str, flag: str) -> bool:
        """Close one breaker (the rule was fixed) and forget its window; False if it was closed."""
        closed = await self._redis.hdel(self._key("open", tenant, account), flag)
        await self._redis.delete(self._key("rule", tenant, account, flag))
        return bool(closed)
