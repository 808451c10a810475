"""The engine's slotted value types: `Draft.resized` is `dataclasses.replace` spelled out, and the
value types stay immutable to the type checker (pricing.values.value_type)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

import pytest

from engine.models import Commitment, Volume
from engine.parsers import Draft

ROOT = Path(__file__).resolve().parents[2]


def _every_field_set() -> Draft:
    return Draft(
        action="start", service="ec2", resource_type="ec2:instance", resource_ids=("i-1", "i-2"),
        size="m5.large", quantity=2, model="spot", os="linux", engine="mysql", multi_az=True,
        volumes=(Volume(volume_type="gp3", size_gib=8),), details={"architecture": "arm64"},
        note="a note", groups=(("m5.large", 2),),
        commitment=Commitment(kind="savings-plan", hourly_usd=1.0),
    )  # fmt: skip


def test_resized_equals_replace_on_every_field() -> None:
    draft = _every_field_set()
    got = draft.resized("c5.xlarge", 3, "windows", None)
    assert got == replace(draft, size="c5.xlarge", quantity=3, os="windows", note=None)
    unchanged = {f.name for f in fields(Draft)} - {"size", "quantity", "os", "note"}
    assert all(getattr(got, name) == getattr(draft, name) for name in unchanged)


def test_resized_still_checks_its_numbers() -> None:
    from engine.errors import NormalizeError

    with pytest.raises(NormalizeError, match="quantity -1 out of range"):
        _every_field_set().resized("m5.large", -1, "linux", None)


@pytest.mark.slow  # one mypy run over engine/ and pricing/
def test_value_types_are_read_only_to_mypy(tmp_path: Path) -> None:
    code = tmp_path / "mutate.py"
    code.write_text(
        "from engine.baselines import Stats\nfrom pricing import Quote\n"
        "from tests.engine.test_value_types import _every_field_set\n"
        "_every_field_set().size = 'x'\nStats().count = 3\nQuote(1.0, 'hour').usd = 2.0\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    read_only = [line for line in done.stdout.splitlines() if "is read-only" in line]
    assert [line.split(":")[1] for line in read_only] == ["4", "5", "6"], done.stdout
