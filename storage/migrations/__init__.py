"""Schema migrations: additive only (seed story 10.2), applied once each at start-up.

A migration is a module `mNNNN_<name>.py` in this folder defining:

    ID = "NNNN_<name>"           # matches the file name
    CREATED = date(...)          # when it was written
    SUNSET_DATE = date(...)      # when its dual-write/backfill window ends: at most 30 days later
    async def up(db) -> None     # idempotent: may run again after a crash

Migrations may add collections, fields, indexes and backfill values. They may never drop or rename
a collection, field or index: `python -m storage.migrations.check` (run in CI) rejects that, and
checks the stored schema against `storage/schema.lock.json`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Any

from pymongo.errors import DuplicateKeyError

COLLECTION = "schema_migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    """One loaded migration module."""

    id: str
    created: date
    sunset_date: date
    module: ModuleType

    async def up(self, db: Any) -> None:
        """Apply it."""
        await self.module.up(db)


def discover() -> list[Migration]:
    """Every migration in this folder, in order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("m") or not info.name[1:5].isdigit():
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(Migration(module.ID, module.CREATED, module.SUNSET_DATE, module))
    return found


async def migrate(db: Any, now: datetime) -> list[str]:
    """Apply the migrations not applied yet; returns the ids applied now."""
    applied = []
    col = db[COLLECTION]
    for migration in discover():
        if await col.find_one({"_id": migration.id, "state": "done"}):
            continue
        try:
            await col.insert_one({"_id": migration.id, "state": "running", "startedAt": now})
        except DuplicateKeyError:
            pass  # another replica claimed it, or an earlier run died: up() is idempotent
        await migration.up(db)
        await col.update_one(
            {"_id": migration.id},
            {
                "$set": {
                    "state": "done",
                    "doneAt": now,
                    "sunsetDate": migration.sunset_date.isoformat(),
                }
            },
        )
        applied.append(migration.id)
    return applied
