"""Profiles: one document per tenant x account x principal (and one per account, principal `*`).

A `ProfileDelta` becomes ONE atomic update ($min first-seen times per region / network / client,
$max largest quantity and usual call rate, $inc counts, $push of the call time kept sorted and
sliced), filtered on `applied != eventID` like baselines, so a redelivered event counts once and
any delivery order gives the same document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from engine.profiles import RECENT_KEEP, Profile, ProfileDelta, ProfileKey
from storage._documents import Document, apply_once, escape_key, unescape_key, utc
from storage.errors import translate_driver_errors

COLLECTION = "profiles"
APPLIED_WINDOW = 500


def profile_id(tenant_id: str, key: ProfileKey) -> str:
    """The document id of a profile."""
    return f"{tenant_id}|{key.account_id}|{key.principal}"


def _times(raw: dict[str, datetime]) -> dict[str, datetime]:
    return {unescape_key(k): utc(v) for k, v in raw.items()}


class StoredProfile(Document):
    """A profile document."""

    id: str = Field(alias="_id")
    tenant_id: str
    account_id: str
    principal: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    calls: int = 0
    regions: dict[str, datetime] = Field(default_factory=dict)
    networks: dict[str, datetime] = Field(default_factory=dict)
    agents: dict[str, datetime] = Field(default_factory=dict)
    quantity_max: dict[str, int] = Field(default_factory=dict)
    quantity_calls: dict[str, int] = Field(default_factory=dict)
    recent: list[datetime] = Field(default_factory=list)
    rate_max: int = 0
    applied: list[str] = Field(default_factory=list)

    def profile(self) -> Profile:
        """The engine's profile."""
        return Profile(
            key=ProfileKey(self.account_id, self.principal),
            first_seen=utc(self.first_seen) if self.first_seen else None,
            last_seen=utc(self.last_seen) if self.last_seen else None,
            calls=self.calls,
            regions=_times(self.regions),
            networks=_times(self.networks),
            agents=_times(self.agents),
            quantity_max={unescape_key(k): v for k, v in self.quantity_max.items()},
            quantity_calls={unescape_key(k): v for k, v in self.quantity_calls.items()},
            recent=tuple(sorted(utc(t) for t in self.recent))[-RECENT_KEEP:],
            rate_max=self.rate_max,
        )


def update_for(delta: ProfileDelta) -> dict[str, Any]:
    """The single atomic update that adds one call to a profile (mirrors `apply_profile`)."""
    when = utc(delta.event_time)
    earliest: dict[str, Any] = {"firstSeen": when, f"regions.{escape_key(delta.region)}": when}
    for field, value in (("networks", delta.network), ("agents", delta.agent)):
        if value is not None:
            earliest[f"{field}.{escape_key(value)}"] = when
    largest: dict[str, Any] = {"lastSeen": when, "rateMax": delta.rate_window or 0}
    counts: dict[str, Any] = {"calls": 1}
    if delta.resource_type is not None:
        kind = escape_key(delta.resource_type)
        largest[f"quantityMax.{kind}"] = delta.quantity
        counts[f"quantityCalls.{kind}"] = 1
    return {
        "$setOnInsert": {"accountId": delta.key.account_id, "principal": delta.key.principal},
        "$min": earliest,
        "$max": largest,
        "$inc": counts,
        "$push": {
            "recent": {"$each": [when], "$sort": 1, "$slice": -RECENT_KEEP},
            "applied": {"$each": [delta.event_id], "$slice": -APPLIED_WINDOW},
        },
    }


@translate_driver_errors
class Profiles:
    """The profiles collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def get(self, tenant_id: str, key: ProfileKey) -> Profile | None:
        """The profile, or None when the principal never made a cost-increasing call here."""
        raw = await self._col.find_one(
            {"_id": profile_id(tenant_id, key), "tenantId": tenant_id}, {"applied": 0}
        )
        if raw is None:
            return None
        doc: StoredProfile = StoredProfile.from_mongo(raw)
        return doc.profile()

    async def apply(self, tenant_id: str, delta: ProfileDelta) -> bool:
        """Add one call to its profile exactly once; False when it was already counted."""
        doc_id = profile_id(tenant_id, delta.key)
        return await apply_once(self._col, doc_id, tenant_id, delta.event_id, update_for(delta))

    async def for_tenant(self, tenant_id: str, account_id: str | None = None) -> list[Profile]:
        """The tenant's profiles (optionally one account's), in id order."""
        query: dict[str, Any] = {"tenantId": tenant_id}
        if account_id is not None:
            query["accountId"] = account_id
        docs = [StoredProfile.from_mongo(raw) async for raw in self._col.find(query)]
        return [d.profile() for d in sorted(docs, key=lambda d: d.id)]

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Delete every profile of one of the tenant's accounts (disconnect); how many went."""
        result = await self._col.delete_many({"tenantId": tenant_id, "accountId": account_id})
        return int(result.deleted_count)
