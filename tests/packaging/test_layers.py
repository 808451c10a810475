"""The layer rules cover every package, and the CI workflow is the one `make test` lints."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _importlinter() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def _packages() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")}


def test_every_top_level_package_is_under_the_layer_rules() -> None:
    config = _importlinter()
    roots = set(config["importlinter"]["root_packages"].split())
    assert roots == _packages()
    layered = {
        name.strip()
        for line in config["importlinter:contract:layers"]["layers"].split("\n")
        for name in line.split("|")
        if name.strip()
    }
    assert layered == roots


def test_lint_imports_reports_a_broken_rule(tmp_path: Path) -> None:
    """The checker is real: a contract the code breaks fails it (storage imports bot here)."""
    config = tmp_path / "broken.ini"
    config.write_text(
        "[importlinter]\nroot_packages =\n    storage\n    bot\n\n"
        "[importlinter:contract:x]\nname = bot above storage, reversed\ntype = layers\n"
        "layers =\n    storage\n    bot\n"
    )
    done = subprocess.run(
        [BIN / "lint-imports", "--config", config], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1 and "BROKEN" in done.stdout


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_ci_runs_make_test_with_redis_on_pushes_and_pull_requests() -> None:
    workflow = _workflow()
    triggers = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1: bare on = true
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    assert job["services"]["redis"]["image"].startswith("redis:")
    assert job["services"]["redis"]["ports"] == ["6379:6379"]
    python = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert python and python[0]["with"]["python-version"] == "3.11"
    assert any(str(s.get("run", "")).startswith("make test") for s in job["steps"])


def test_actionlint_passes_the_workflow_and_catches_a_broken_one(tmp_path: Path) -> None:
    ok = subprocess.run([BIN / "actionlint", WORKFLOW], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:"))
    bad = subprocess.run([BIN / "actionlint", broken], capture_output=True, text=True)
    assert bad.returncode == 1 and "runs-on" in bad.stdout
