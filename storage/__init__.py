"""MongoDB storage: one module per collection, every query filtered by tenant.

Knows nothing of Slack or SQS. Build the store with `open_store` inside the running loop
(app.py) and pass it in; tests use `memory_store()` (mongomock-motor through the same seam).
"""

from __future__ import annotations

from storage.errors import (
    ForeignEventError,
    StorageError,
    StoreConfigError,
    StoreUnavailableError,
)
from storage.store import Store, memory_store, open_store

__all__ = [
    "ForeignEventError",
    "StorageError",
    "Store",
    "StoreConfigError",
    "StoreUnavailableError",
    "memory_store",
    "open_store",
]
