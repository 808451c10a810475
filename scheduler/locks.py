"""A Redis lock per job run, with a fencing token, on an injected clock.

The lock's value is `<token>:<expires-at ms>`; the token comes from one INCR counter per job, so a
later holder always has a larger token. Expiry is judged against the caller's clock (tests move
it; no sleeps), with a real Redis TTL well beyond it as a backstop. Every check and the final
commit compare the token atomically (Lua): a replica that was paused past its lease and lost the
lock to another cannot commit its run, and its `check()` raises before further side effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler.errors import LostLockError

# KEYS: lock, fence counter, done marker. ARGV: now ms, lease ms, backstop ms.
# Returns -1 when the period is done already, 0 when another holder's lease is live, else token.
_ACQUIRE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local cur = redis.call('GET', KEYS[1])
if cur then
  local expires = tonumber(string.match(cur, ':(%d+)$'))
  if expires and expires > tonumber(ARGV[1]) then return 0 end
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. (tonumber(ARGV[1]) + tonumber(ARGV[2])), 'PX', ARGV[3])
return token
"""

# KEYS: lock. ARGV: token, now ms. 1 while the token holds a live lease.
_HOLDS = """
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local token, expires = string.match(cur, '^(%d+):(%d+)$')
if token ~= ARGV[1] or tonumber(expires) <= tonumber(ARGV[2]) then return 0 end
return 1
"""

# KEYS: lock, done marker. ARGV: token, now ms, done ttl s. Commit the run: mark done, unlock.
_COMMIT = """
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local token, expires = string.match(cur, '^(%d+):(%d+)$')
if token ~= ARGV[1] or tonumber(expires) <= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: lock. ARGV: token. Give the lock back after a failed run (only our own).
_RELEASE = """
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(%d+):') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Keys:
    """The Redis keys of one job run."""

    lock: str
    fence: str
    done: str


class Locks:
    """The lock scripts, registered once on a Redis client."""

    def __init__(self, redis: Any) -> None:
        self._acquire = redis.register_script(_ACQUIRE)
        self._holds = redis.register_script(_HOLDS)
        self._commit = redis.register_script(_COMMIT)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self, keys: Keys, now: datetime, lease: timedelta) -> int:
        """A fencing token (> 0); 0 when another replica holds it; -1 when the period is done."""
        lease_ms = int(lease.total_seconds() * 1000)
        backstop = lease_ms * 2 + 60_000
        args = [_ms(now), lease_ms, backstop]
        return int(await self._acquire(keys=[keys.lock, keys.fence, keys.done], args=args))

    async def holds(self, keys: Keys, token: int, now: datetime) -> bool:
        """Whether `token` still holds a live lease."""
        return bool(await self._holds(keys=[keys.lock], args=[token, _ms(now)]))

    async def commit(self, keys: Keys, token: int, now: datetime, keep: timedelta) -> bool:
        """Mark the period done and unlock, only if `token` still holds the lease."""
        args = [token, _ms(now), max(int(keep.total_seconds()), 1)]
        return bool(await self._commit(keys=[keys.lock, keys.done], args=args))

    async def release(self, keys: Keys, token: int) -> None:
        """Unlock after a failed run (only if `token` is still the holder)."""
        await self._release(keys=[keys.lock], args=[token])


@dataclass
class Fence:
    """Handed to a running job: `check()` before each side effect."""

    locks: Locks
    keys: Keys
    token: int
    clock: Any

    async def check(self) -> None:
        """Raise LostLockError when another replica has taken this run over."""
        if not await self.locks.holds(self.keys, self.token, self.clock()):
            raise LostLockError(f"lock {self.keys.lock} lost (token {self.token})")
