"""Which document model each collection holds: the schema the additive-only check guards."""

from __future__ import annotations

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
    tenants,
)
from storage._documents import Document

DOCUMENTS: dict[str, type[Document]] = {
    tenants.COLLECTION: tenants.Tenant,
    accounts.COLLECTION: accounts.Account,
    events.COLLECTION: events.StoredEvent,
    baselines.COLLECTION: baselines.StoredBaseline,
    anomalies.COLLECTION: anomalies.StoredAnomaly,
    resources.COLLECTION: resources.LiveResource,
    profiles.COLLECTION: profiles.StoredProfile,
    audit.COLLECTION: audit.AuditEntry,
    rejects.COLLECTION: rejects.Reject,
    installations.BOTS: installations.StoredBot,
    installations.INSTALLATIONS: installations.StoredInstallation,
    installations.OAUTH_STATES: installations.OAuthState,
    coverage.COLLECTION: coverage.AccountCoverage,
}


def fields_of(model: type[Document]) -> list[str]:
    """The stored field names of a model (aliases; nested models as dotted paths)."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        stored = info.alias or name
        names.append(stored)
        nested = info.annotation
        for arg in getattr(nested, "__args__", ()) or (nested,):
            if isinstance(arg, type) and issubclass(arg, Document):
                names.extend(f"{stored}.{sub}" for sub in fields_of(arg))
    return sorted(set(names))


def current_schema() -> dict[str, dict[str, list[str]]]:
    """Every collection's fields and index names, as the code defines them now."""
    from storage.indexes import INDEXES

    out: dict[str, dict[str, list[str]]] = {}
    for collection, model in DOCUMENTS.items():
        out[collection] = {"fields": fields_of(model), "indexes": []}
    for index in INDEXES:
        out.setdefault(index.collection, {"fields": [], "indexes": []})["indexes"].append(
            index.name
        )
    for entry in out.values():
        entry["indexes"].sort()
    return out
