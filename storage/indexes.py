"""Every index the product relies on, in one place; created at start-up (idempotently).

Uniqueness that matters for correctness lives in `_id` (eventID for cost events and anomalies,
the natural key for baselines and live resources), which every MongoDB enforces. The indexes
below serve the queries each module makes, and expire data that has a retention period.
Indexes are additive only: a name listed here is never removed (see storage/migrations/check.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from storage import (
    accounts,
    anomalies,
    audit,
    baselines,
    coverage,
    events,
    installations,
    profiles,
    rejects,
    resources,
)


@dataclass(frozen=True, slots=True)
class Index:
    """One index: collection, keys and options."""

    collection: str
    name: str
    keys: tuple[tuple[str, int], ...]
    options: dict[str, Any] = field(default_factory=dict)


ASC, DESC = 1, -1

INDEXES: tuple[Index, ...] = (
    Index(coverage.COLLECTION, "tenant", (("tenantId", ASC), ("_id", ASC))),
    Index(accounts.COLLECTION, "tenant", (("tenantId", ASC), ("_id", ASC))),
    # The purge job's cross-tenant query: accounts waiting for their data to be deleted.
    Index(
        accounts.COLLECTION,
        "disconnecting",
        (("disconnectRequestedAt", ASC),),
        {"partialFilterExpression": {"status": "disconnecting"}},
    ),
    Index(
        events.COLLECTION,
        "tenant_account_time",
        (("tenantId", ASC), ("accountId", ASC), ("eventTime", DESC)),
    ),
    Index(events.COLLECTION, "tenant_time", (("tenantId", ASC), ("eventTime", DESC))),
    Index(events.COLLECTION, "expire", (("expireAt", ASC),), {"expireAfterSeconds": 0}),
    Index(baselines.COLLECTION, "tenant_account", (("tenantId", ASC), ("accountId", ASC))),
    Index(profiles.COLLECTION, "tenant_account", (("tenantId", ASC), ("accountId", ASC))),
    Index(anomalies.COLLECTION, "tenant_created", (("tenantId", ASC), ("createdAt", DESC))),
    Index(
        anomalies.COLLECTION,
        "tenant_status_created",
        (("tenantId", ASC), ("status", ASC), ("createdAt", DESC)),
    ),
    Index(
        anomalies.COLLECTION,
        "tenant_account_resources",
        (("tenantId", ASC), ("accountId", ASC), ("resourceIds", ASC)),
    ),
    Index(
        anomalies.COLLECTION,
        "alert_pending",
        (("alertState", ASC), ("createdAt", ASC)),
        {"partialFilterExpression": {"alertState": "pending"}},
    ),
    # The snooze expiry job's cross-tenant query, and the snoozed-pattern look-up per alert.
    Index(
        anomalies.COLLECTION,
        "snoozed",
        (("snoozeUntil", ASC),),
        {"partialFilterExpression": {"status": "snoozed"}},
    ),
    Index(
        anomalies.COLLECTION,
        "tenant_delivery_decided",
        (("tenantId", ASC), ("delivery", ASC), ("decidedAt", DESC)),
    ),
    Index(
        resources.COLLECTION,
        "tenant_account_state",
        (("tenantId", ASC), ("accountId", ASC), ("state", ASC)),
    ),
    Index(resources.COLLECTION, "expire", (("expireAt", ASC),), {"expireAfterSeconds": 0}),
    Index(audit.COLLECTION, "tenant_at", (("tenantId", ASC), ("at", DESC))),
    Index(audit.COLLECTION, "expire", (("expireAt", ASC),), {"expireAfterSeconds": 0}),
    Index(rejects.COLLECTION, "last_seen", (("lastSeen", DESC),)),
    Index(rejects.COLLECTION, "expire", (("expireAt", ASC),), {"expireAfterSeconds": 0}),
    # Bots are keyed by tenant id and installations by tenant and user (both in `_id`); this
    # serves the per-tenant delete and finding the newest user installation to promote.
    Index(
        installations.INSTALLATIONS,
        "tenant_kind_installed",
        (("tenantId", ASC), ("kind", ASC), ("installedAt", DESC)),
    ),
    Index(installations.OAUTH_STATES, "expire", (("expireAt", ASC),), {"expireAfterSeconds": 0}),
)


async def ensure_indexes(db: Any, collections: Collection[str] | None = None) -> list[str]:
    """Create every index (of `collections`, when given; a no-op for those that exist)."""
    made = []
    for index in INDEXES:
        if collections is not None and index.collection not in collections:
            continue
        await db[index.collection].create_index(list(index.keys), name=index.name, **index.options)
        made.append(f"{index.collection}.{index.name}")
    return made
