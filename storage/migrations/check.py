"""CI check: migrations are additive only, and the schema only ever grows.

    python -m storage.migrations.check            # exit 1 with one line per problem
    python -m storage.migrations.check --update   # record newly added fields/indexes in the lock

Rejected: a migration that drops or renames a collection, field or index ($unset, $rename,
drop*, rename), one without ID/CREATED/SUNSET_DATE or whose sunset is more than 30 days after it
was created, and any collection, field or index in `storage/schema.lock.json` that the code no
longer defines. `--update` only adds to the lock; nothing can be removed from it by a tool.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from storage.migrations import discover
from storage.schema import current_schema

FOLDER = Path(__file__).parent
LOCK = FOLDER.parent / "schema.lock.json"
MAX_SUNSET = timedelta(days=30)
FORBIDDEN_CALLS = frozenset(
    {"drop", "drop_collection", "drop_index", "drop_indexes", "drop_database", "rename"}
)
FORBIDDEN_OPERATORS = ("$unset", "$rename", "$out")


def source_problems(path: Path) -> Iterator[str]:
    """Destructive operations written in one migration's source."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_CALLS:
            yield f"{path.name}:{node.lineno}: '{node.attr}' removes or renames data"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for op in FORBIDDEN_OPERATORS:
                if op in node.value:
                    yield f"{path.name}:{node.lineno}: '{op}' removes or renames fields"


def metadata_problems() -> Iterator[str]:
    """Migrations without the required names or with a sunset too far away."""
    for migration in discover():
        name = migration.module.__name__.rsplit(".", 1)[-1]
        if name != f"m{migration.id}":
            yield f"{name}: ID {migration.id!r} does not match the file name"
        window = migration.sunset_date - migration.created
        if not timedelta(0) < window <= MAX_SUNSET:
            yield f"{name}: SUNSET_DATE must be 1-30 days after CREATED (it is {window.days})"


def lock_problems(lock: dict[str, dict[str, list[str]]]) -> Iterator[str]:
    """Collections, fields or indexes in the lock that the code no longer defines."""
    now = current_schema()
    for collection, locked in sorted(lock.items()):
        if collection not in now:
            yield f"collection {collection} was removed"
            continue
        for kind, label in (("fields", "field"), ("indexes", "index")):
            for name in sorted(set(locked.get(kind, [])) - set(now[collection][kind])):
                yield f"{collection}: {label} {name} was removed or renamed"


def merged(lock: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    """The lock with everything the code defines now added (nothing removed)."""
    out = {
        k: {kind: list(v.get(kind, [])) for kind in ("fields", "indexes")} for k, v in lock.items()
    }
    for collection, entry in current_schema().items():
        target = out.setdefault(collection, {"fields": [], "indexes": []})
        for kind in ("fields", "indexes"):
            target[kind] = sorted(set(target[kind]) | set(entry[kind]))
    return out


def problems(lock_path: Path = LOCK, folder: Path = FOLDER) -> list[str]:
    """Everything wrong with the migrations and the schema."""
    found = [p for path in sorted(folder.glob("m[0-9]*.py")) for p in source_problems(path)]
    found.extend(metadata_problems())
    lock = json.loads(lock_path.read_text()) if lock_path.exists() else {}
    found.extend(lock_problems(lock))
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the check; exit status 1 when anything is wrong."""
    parser = argparse.ArgumentParser(prog="python -m storage.migrations.check")
    parser.add_argument("--update", action="store_true", help="add new fields/indexes to the lock")
    args = parser.parse_args(argv)
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        return 1
    if args.update:
        lock = json.loads(LOCK.read_text()) if LOCK.exists() else {}
        LOCK.write_text(json.dumps(merged(lock), indent=2, sort_keys=True) + "\n")
    print("schema: additive only, migrations ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
