"""Rejected messages: what could never be processed (not JSON, not CloudTrail, too big) and why.

One document per SQS message id, updated on every receive until the queue's redrive policy
moves the message to the DLQ; an operator reads the reason here and the body in the DLQ.
Rejects belong to no tenant (an unreadable message names none). Kept 30 days.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "rejected_messages"
RETENTION = timedelta(days=30)
EXCERPT_CHARS = 512


class Reject(Document):
    """Why a message was refused."""

    id: str = Field(alias="_id")  # the SQS message id
    reason: str
    group_id: str | None = None
    receives: int = 1
    body_bytes: int
    body_sha256: str
    excerpt: str
    first_seen: datetime
    last_seen: datetime
    expire_at: datetime | None = None


@translate_driver_errors
class Rejects:
    """The rejected_messages collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def record(
        self,
        message_id: str,
        body: str,
        reason: str,
        now: datetime,
        *,
        group_id: str | None = None,
        receive_count: int = 1,
    ) -> None:
        """Record (or update) the reason a message was refused."""
        data = body.encode("utf-8", "replace")
        when = utc(now)
        await self._col.update_one(
            {"_id": message_id},
            {
                "$set": {
                    "reason": reason,
                    "groupId": group_id,
                    "bodyBytes": len(data),
                    "bodySha256": hashlib.sha256(data).hexdigest(),
                    "excerpt": body[:EXCERPT_CHARS],
                    "lastSeen": when,
                    "expireAt": when + RETENTION,
                },
                "$max": {"receives": receive_count},
                "$setOnInsert": {"firstSeen": when},
            },
            upsert=True,
        )

    async def get(self, message_id: str) -> Reject | None:
        """The record of one message, or None."""
        raw = await self._col.find_one({"_id": message_id})
        return Reject.from_mongo(raw) if raw else None

    async def recent(self, limit: int = 100) -> list[Reject]:
        """The newest rejects."""
        cursor = self._col.find({}).sort("lastSeen", -1).limit(limit)
        return [Reject.from_mongo(raw) async for raw in cursor]
