"""The base of every stored document model: camelCase fields, unknown fields ignored on read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pymongo.errors import DuplicateKeyError


class Document(BaseModel):
    """A MongoDB document: read with `from_mongo`, written with `to_mongo`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    @classmethod
    def from_mongo(cls, raw: dict[str, Any]) -> Any:
        """Validate a stored document (fields added by later versions are ignored)."""
        return cls.model_validate(raw)

    def to_mongo(self) -> dict[str, Any]:
        """The document as stored (camelCase; `id` becomes `_id`)."""
        out = self.model_dump(by_alias=True, exclude_none=False)
        if "id" in out:
            out["_id"] = out.pop("id")
        return out


async def apply_once(
    col: Any, doc_id: str, tenant_id: str, event_id: str, update: dict[str, Any]
) -> bool:
    """One atomic upsert that counts an event once (baselines, profiles); False when counted.

    The filter excludes documents whose `applied` list holds the event id, so a second apply
    matches nothing, upserts, and collides with the existing `_id`.
    """
    query = {"_id": doc_id, "tenantId": tenant_id, "applied": {"$ne": event_id}}
    try:
        result = await col.update_one(query, update, upsert=True)
    except DuplicateKeyError:
        return False
    return bool(result.modified_count or result.upserted_id is not None)


def utc(value: datetime) -> datetime:
    """An aware UTC datetime at MongoDB's millisecond precision (naive values are UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def escape_key(key: str) -> str:
    """A string usable as a MongoDB field name ('.', '$' and '%' escaped, reversibly)."""
    return key.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def unescape_key(key: str) -> str:
    """The inverse of `escape_key`."""
    return key.replace("%24", "$").replace("%2E", ".").replace("%25", "%")
