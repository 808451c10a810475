"""Panic mode in Redis (seed 10.5): `dd0c:panic` for everyone (the operator), and
`dd0c:panic:<tenant>` per workspace (`/dd0c pause`). The notifier short-circuits on either;
anomalies are still scored and stored. The key prefix is injectable so tests can isolate.

If Redis cannot be read the switch reads as off and says so in the log: a broken Redis must not
silence a $3,000 mistake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "dd0c:"


@dataclass(frozen=True, slots=True)
class PanicState:
    """Whether alerting is paused for a workspace, and by whom since when."""

    paused: bool
    scope: str = ""  # "global" (operator or policy.json) or "workspace"
    by: str | None = None
    since: datetime | None = None


OFF = PanicState(False)


class PanicSwitch:
    """Reads and flips the panic keys."""

    def __init__(self, redis: Any, prefix: str = DEFAULT_PREFIX, policy_panic: bool = False):
        self._redis, self._prefix, self._policy_panic = redis, prefix, policy_panic

    @property
    def global_key(self) -> str:
        """The operator's key (`dd0c:panic`)."""
        return f"{self._prefix}panic"

    def workspace_key(self, tenant_id: str) -> str:
        """One workspace's key (`dd0c:panic:<tenant>`)."""
        return f"{self._prefix}panic:{tenant_id}"

    async def state(self, tenant_id: str) -> PanicState:
        """Paused globally (policy.json or the operator key) or for this workspace, or OFF."""
        if self._policy_panic:
            return PanicState(True, "global", "policy.json")
        try:
            values = await self._redis.mget(self.global_key, self.workspace_key(tenant_id))
        except RedisError as exc:
            logger.warning("panic keys unreadable; alerting stays on (%s)", type(exc).__name__)
            return OFF
        for scope, value in zip(("global", "workspace"), values, strict=True):
            if value is not None:
                return _state(scope, value)
        return OFF

    async def pause(self, tenant_id: str, by: str, now: datetime) -> bool:
        """Pause the workspace; False when it was paused already."""
        value = orjson.dumps({"by": by, "since": now.isoformat()})
        return bool(await self._redis.set(self.workspace_key(tenant_id), value, nx=True))

    async def resume(self, tenant_id: str) -> PanicState:
        """Resume the workspace; the state it was in (OFF when it was not paused)."""
        key = self.workspace_key(tenant_id)
        value = await self._redis.getdel(key)
        return _state("workspace", value) if value is not None else OFF

    async def set_global(self, on: bool, by: str, now: datetime) -> None:
        """The operator's switch, for everyone."""
        if on:
            await self._redis.set(
                self.global_key, orjson.dumps({"by": by, "since": now.isoformat()})
            )
        else:
            await self._redis.delete(self.global_key)


def _state(scope: str, value: bytes | str) -> PanicState:
    try:
        data = orjson.loads(value)
        since = datetime.fromisoformat(data["since"]) if data.get("since") else None
        return PanicState(True, scope, data.get("by"), since)
    except (orjson.JSONDecodeError, TypeError, ValueError, KeyError, AttributeError):
        return PanicState(True, scope)  # any value means paused, even one we cannot read
