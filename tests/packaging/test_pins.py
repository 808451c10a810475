"""One set of pins: pyproject.toml, the `.in` files and the pip-compile locks agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(\[[a-z,]+\])?==([^\s;]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    """Package -> pinned version for every `name==version` line (comments and `-r`/`-c` skipped)."""
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[_name(match[1])] = match[3]
    return pins


def _listed(requirements: list[str]) -> dict[str, str]:
    matches = [PIN.match(item) for item in requirements]
    assert all(matches), requirements
    return {_name(m[1]): m[3] for m in matches if m}


def test_pyproject_pins_equal_the_in_files() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _listed(project["dependencies"]) == _pins(ROOT / "requirements.in")
    assert _listed(project["optional-dependencies"]["dev"]) == _pins(ROOT / "requirements-dev.in")


def test_locks_hold_every_direct_pin_unchanged() -> None:
    runtime, dev = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-dev.txt")
    direct = _pins(ROOT / "requirements.in")
    assert {name: runtime.get(name) for name in direct} == direct
    assert {name: dev.get(name) for name in _pins(ROOT / "requirements-dev.in")} == _pins(
        ROOT / "requirements-dev.in"
    )
    # the dev lock is the runtime lock plus tools: every runtime pin is there, same version
    assert {name: dev.get(name) for name in runtime} == runtime
    assert len(runtime) >= 30 and len(dev) >= 100


def test_aioboto3_decides_boto3_and_botocore() -> None:
    """DEPENDENCIES.md: pin aioboto3, never boto3/botocore on their own."""
    direct = _pins(ROOT / "requirements.in") | _pins(ROOT / "requirements-dev.in")
    assert "aioboto3" in direct and not {"boto3", "botocore", "aiobotocore"} & set(direct)
    assert "# via aiobotocore" in (ROOT / "requirements.txt").read_text()
