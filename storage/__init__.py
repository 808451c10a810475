"""MongoDB storage: one module per collection, every query filtered by tenant.

Knows nothing of SQS, and of Slack only slack_sdk's installation/OAuth-state store interfaces
(storage.installations), whose tokens it keeps encrypted (storage.crypto). Build the store with
`open_store` inside the running loop (app.py) and pass it in; tests use `memory_store()`
(mongomock-motor through the same seam).
"""

from __future__ import annotations

from storage.crypto import TokenCipher
from storage.errors import (
    ForeignEventError,
    StorageError,
    StoreConfigError,
    StoreUnavailableError,
    TokenDecryptError,
)
from storage.installations import (
    Installations,
    MongoInstallationStore,
    MongoOAuthStateStore,
    OAuthStates,
    rotate_tokens,
    tenant_id_for,
)
from storage.store import Store, memory_store, open_store

__all__ = [
    "ForeignEventError",
    "Installations",
    "MongoInstallationStore",
    "MongoOAuthStateStore",
    "OAuthStates",
    "StorageError",
    "Store",
    "StoreConfigError",
    "StoreUnavailableError",
    "TokenCipher",
    "TokenDecryptError",
    "memory_store",
    "open_store",
    "rotate_tokens",
    "tenant_id_for",
]
