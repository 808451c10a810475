"""The additive-only schema check (seed story 10.2) catches what it must, and passes on main."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storage.migrations import check, discover
from storage.schema import current_schema


def test_main_passes_the_check() -> None:
    assert check.problems() == []
    done = subprocess.run(
        [sys.executable, "-m", "storage.migrations.check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_migration_has_a_sunset_within_30_days() -> None:
    found = discover()
    assert found and all(0 < (m.sunset_date - m.created).days <= 30 for m in found)


def _write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body)
    return path


def test_destructive_operations_are_rejected(tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "m0099_bad.py",
        "async def up(db):\n"
        "    await db['anomalies'].update_many({}, {'$unset': {'score': ''}})\n"
        "    await db['baselines'].drop_index('tenant_account')\n"
        "    await db['audit_log'].drop()\n"
        "    await db['x'].update_many({}, {'$rename': {'a': 'b'}})\n",
    )
    found = list(check.source_problems(bad))
    assert len(found) == 4
    assert any("$unset" in p for p in found) and any("drop_index" in p for p in found)


def test_additive_changes_pass(tmp_path: Path) -> None:
    good = _write(
        tmp_path,
        "m0100_good.py",
        "async def up(db):\n"
        "    await db['anomalies'].update_many({'costV2': None}, {'$set': {'costV2': 0}})\n"
        "    await db['anomalies'].create_index([('costV2', 1)], name='cost_v2')\n",
    )
    assert list(check.source_problems(good)) == []


def test_a_field_or_index_missing_from_the_code_is_reported(tmp_path: Path) -> None:
    lock = json.loads(check.LOCK.read_text())
    lock["anomalies"]["fields"].append("oldField")
    lock["baselines"]["indexes"].append("by_old_thing")
    lock["gone_collection"] = {"fields": ["_id"], "indexes": []}
    path = tmp_path / "lock.json"
    path.write_text(json.dumps(lock))
    found = check.problems(lock_path=path)
    assert "anomalies: field oldField was removed or renamed" in found
    assert "baselines: index by_old_thing was removed or renamed" in found
    assert "collection gone_collection was removed" in found


def test_the_lock_only_grows() -> None:
    lock = {"anomalies": {"fields": ["legacy"], "indexes": []}}
    merged = check.merged(lock)
    assert "legacy" in merged["anomalies"]["fields"]
    assert set(current_schema()["anomalies"]["fields"]) <= set(merged["anomalies"]["fields"])


def test_the_committed_lock_matches_the_code() -> None:
    lock = json.loads(check.LOCK.read_text())
    assert check.merged(lock) == lock, "run: python -m storage.migrations.check --update"
