"""API keys of a workspace (seed 9.3): stored only as a keyed hash, shown once when made.

A key reads `dd0c_live_<id><secret>`: `dd0c_live_` lets secret scanners match it, the 12-character
`id` (lowercase base32) is the document's `_id` and the visible prefix that recognises it in a
list, the 32-character secret makes it unguessable. The document keeps HMAC-SHA256(server key,
whole key); a presented key is found by its id and compared in constant time. Revocation sets
`revokedAt`, which `verify` checks on every request: it works at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "api_keys"
PREFIX = "dd0c_live_"
ID_LENGTH = 12
SECRET_LENGTH = 32
KEY_PATTERN = re.compile(rf"^{PREFIX}([a-z2-7]{{{ID_LENGTH}}})([a-z2-7]{{{SECRET_LENGTH}}})$")
MAX_KEYS = 25  # per workspace, revoked ones excluded
LAST_USED_EVERY = timedelta(minutes=1)

Scope = Literal["read", "write"]


class ApiKey(Document):
    """One API key, without its secret."""

    id: str = Field(alias="_id")
    tenant_id: str
    name: str
    scope: Scope
    key_hash: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def shown_prefix(self) -> str:
        """What a list shows to recognise the key (never the secret part)."""
        return f"{PREFIX}{self.id}…"


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: `secret` is the whole key, shown once and never stored."""

    key: ApiKey
    secret: str


class KeyHasher:
    """HMAC-SHA256 of a key under the server's secret (derived from DD0C_TOKEN_KEY)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = hashlib.sha256(b"dd0c-cost api-key hash v1\x00" + secret).digest()

    def digest(self, key: str) -> str:
        """The stored form of `key`."""
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()


def _random(length: int) -> str:
    return base64.b32encode(secrets.token_bytes(length)).decode("ascii").lower()[:length]


def key_id_of(presented: str) -> str | None:
    """The id part of a well-formed key, or None."""
    match = KEY_PATTERN.match(presented)
    return match.group(1) if match else None


@translate_driver_errors
class ApiKeys:
    """The api_keys collection."""

    def __init__(self, db: Any, hasher: KeyHasher) -> None:
        self._col = db[COLLECTION]
        self._hasher = hasher

    async def create(
        self, tenant_id: str, name: str, scope: Scope, by: str, now: datetime
    ) -> NewKey | None:
        """Make a key; None when the workspace has MAX_KEYS live keys already."""
        if await self._col.count_documents({"tenantId": tenant_id, "revokedAt": None}) >= MAX_KEYS:
            return None
        key_id = _random(ID_LENGTH)
        secret = f"{PREFIX}{key_id}{_random(SECRET_LENGTH)}"
        key = ApiKey(
            _id=key_id,
            tenant_id=tenant_id,
            name=name,
            scope=scope,
            key_hash=self._hasher.digest(secret),
            created_by=by,
            created_at=utc(now),
        )
        await self._col.insert_one(key.to_mongo())
        return NewKey(key, secret)

    async def verify(self, presented: str, now: datetime) -> ApiKey | None:
        """The live key `presented` is, or None (malformed, unknown, wrong secret, revoked)."""
        key_id = key_id_of(presented)
        raw = await self._col.find_one({"_id": key_id}) if key_id else None
        stored = str(raw.get("keyHash", "")) if raw else "0" * 64
        # Compared even when nothing was found, so timing does not tell known ids apart.
        same = hmac.compare_digest(stored, self._hasher.digest(presented))
        if raw is None or not same or raw.get("revokedAt") is not None:
            return None
        key: ApiKey = ApiKey.from_mongo(raw)
        if key.last_used_at is None or utc(now) - key.last_used_at >= LAST_USED_EVERY:
            # At most one write a minute per key: lastUsedAt is for people, not an audit trail.
            await self._col.update_one({"_id": key_id}, {"$set": {"lastUsedAt": utc(now)}})
            key.last_used_at = utc(now)
        return key

    async def for_tenant(self, tenant_id: str) -> list[ApiKey]:
        """The workspace's keys (revoked ones too), oldest first."""
        cursor = self._col.find({"tenantId": tenant_id}).sort("createdAt", 1)
        return [ApiKey.from_mongo(raw) async for raw in cursor]

    async def revoke(self, tenant_id: str, key_id: str, by: str, now: datetime) -> bool:
        """Revoke the workspace's key (by id or shown prefix); False without such a live key."""
        key_id = key_id.removeprefix(PREFIX).rstrip("….")[:ID_LENGTH]
        result = await self._col.update_one(
            {"_id": key_id, "tenantId": tenant_id, "revokedAt": None},
            {"$set": {"revokedAt": utc(now), "revokedBy": by}},
        )
        return bool(result.modified_count)
