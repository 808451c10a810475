"""Forwarding coverage per connected account: the regions dd0c cannot see, until they close.

One document per tenant × account, replaced by each run of the coverage job (`scheduler.coverage`):
the open gaps (an enabled region without dd0c's forwarding rules), each with when it opened and
whether Slack was told, and the regions the last check could not read. `/dd0c status` and App
Home show the open gaps; a gap that closes is removed once the job has said so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from storage._documents import Document, utc
from storage.errors import translate_driver_errors

COLLECTION = "coverage"


class RegionGap(Document):
    """An enabled region whose CloudTrail events do not reach dd0c."""

    region: str
    missing_rules: list[str]  # the dd0c-cost-forward-* rules not found there
    running_instances: int = 0  # at the last check (a capped count)
    opened_at: datetime
    notified_at: datetime | None = None  # when Slack was told (None: not yet)


class AccountCoverage(Document):
    """The last coverage check of one account."""

    id: str = Field(alias="_id")  # "<tenant id>:<account id>"
    tenant_id: str
    account_id: str
    checked_at: datetime
    regions_checked: int = 0
    gaps: list[RegionGap] = Field(default_factory=list)
    failures: dict[str, str] = Field(default_factory=dict)  # region -> why it was not checked
    # The role may not list the rules (a stack older than the coverage check): since when, and
    # when Slack was told to update the stack.
    role_outdated_since: datetime | None = None
    role_outdated_notified_at: datetime | None = None

    @property
    def needs_attention(self) -> bool:
        """Open gaps, or coverage unknown because the role is outdated."""
        return bool(self.gaps) or self.role_outdated_since is not None

    @property
    def open_gaps(self) -> list[RegionGap]:
        """The gaps, by region."""
        return sorted(self.gaps, key=lambda gap: gap.region)


def _id(tenant_id: str, account_id: str) -> str:
    return f"{tenant_id}:{account_id}"


@translate_driver_errors
class Coverage:
    """The coverage collection."""

    def __init__(self, db: Any) -> None:
        self._col = db[COLLECTION]

    async def get(self, tenant_id: str, account_id: str) -> AccountCoverage | None:
        """The account's last check, or None."""
        raw = await self._col.find_one({"_id": _id(tenant_id, account_id), "tenantId": tenant_id})
        return AccountCoverage.from_mongo(raw) if raw else None

    async def for_tenant(self, tenant_id: str) -> list[AccountCoverage]:
        """Every checked account of the tenant, by account id."""
        cursor = self._col.find({"tenantId": tenant_id})
        found = [AccountCoverage.from_mongo(raw) async for raw in cursor]
        return sorted(found, key=lambda c: c.account_id)

    async def save(self, coverage: AccountCoverage) -> None:
        """Replace the account's record with this check."""
        doc = coverage.model_copy(update={"checked_at": utc(coverage.checked_at)}).to_mongo()
        await self._col.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_account(self, tenant_id: str, account_id: str) -> int:
        """Delete the account's record (the purge); how many were deleted."""
        result = await self._col.delete_many(
            {"_id": _id(tenant_id, account_id), "tenantId": tenant_id}
        )
        return int(result.deleted_count)


def coverage_id(tenant_id: str, account_id: str) -> str:
    """The document id of one account's coverage."""
    return _id(tenant_id, account_id)
