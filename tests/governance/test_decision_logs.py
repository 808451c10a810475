"""Decision logs (seed 10.3): the repository's logs record every scoring file's current hash,
and a changed file or an incomplete log fails with the hash to record and how to add the log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from governance.decisions import (
    LOG_DIR,
    PRINT_COMMAND,
    ROOT,
    SCORING_FILES,
    SEED_FIELDS,
    check,
    current_hashes,
    main,
)

NEXT = f"{max(int(p.name[:4]) for p in (ROOT / LOG_DIR).glob('*.json')) + 1:04d}"
"""The number the next decision log gets."""


def test_the_repository_logs_record_every_scoring_file_as_it_is_now() -> None:
    report = check()
    assert report.problems == []


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the scoring files and the decision logs."""
    for name in SCORING_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / LOG_DIR, tmp_path / LOG_DIR)
    return tmp_path


def test_a_changed_threshold_fails_naming_the_file_its_new_hash_and_the_command(
    repo: Path,
) -> None:
    target = repo / "engine/thresholds.py"
    target.write_text(target.read_text() + "\n# z threshold 2.0\n")
    report = check(repo)
    assert not report.ok
    (message,) = report.problems
    new_hash = current_hashes(repo)["engine/thresholds.py"]
    assert f"engine/thresholds.py: {new_hash}" in message
    assert "engine/scoring.py" not in message
    assert PRINT_COMMAND in message
    assert f"{LOG_DIR}/{NEXT}-" in message


def test_a_new_log_with_the_printed_block_makes_it_pass(repo: Path) -> None:
    target = repo / "engine/scoring.py"
    target.write_text(target.read_text() + "\n# weight change\n")
    assert not check(repo).ok
    log = {name: "x" for name in SEED_FIELDS} | {
        "covers": ["engine/scoring.py"],
        "hashes": {"engine/scoring.py": current_hashes(repo)["engine/scoring.py"]},
    }
    (repo / LOG_DIR / f"{NEXT}-weight-change.json").write_text(json.dumps(log))
    assert check(repo).problems == []


@pytest.mark.parametrize("missing", [*SEED_FIELDS, "covers", "hashes"])
def test_a_log_missing_a_schema_field_fails_naming_it(repo: Path, missing: str) -> None:
    log = {name: "x" for name in SEED_FIELDS} | {"covers": ["a"], "hashes": {"a": "b"}}
    del log[missing]
    (repo / LOG_DIR / f"{NEXT}-incomplete.json").write_text(json.dumps(log))
    (problem,) = check(repo).problems
    assert problem.startswith(f"{NEXT}-incomplete.json: missing field(s) {missing} ")


def test_a_broken_log_is_reported_not_raised(repo: Path) -> None:
    (repo / LOG_DIR / f"{NEXT}-broken.json").write_text("{not json")
    (problem,) = check(repo).problems
    assert problem.startswith(f"{NEXT}-broken.json: not readable JSON")


def test_print_gives_the_block_a_log_needs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--print"]) == 0
    block = json.loads(capsys.readouterr().out)
    assert block == {"covers": list(SCORING_FILES), "hashes": current_hashes()}
    assert main([]) == 0
