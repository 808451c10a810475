"""policy.json is validated at start-up: a bad one stops the service with one line naming the
field (exit 2), before anything is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import main


def test_a_bad_policy_stops_start_up_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"governance_mode": "strict", "promotion": {"max_false_positive_rate": 5}}')
    assert main({"DD0C_DEV": "1", "DD0C_POLICY_FILE": str(policy), "PORT": "3999"}) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("dd0c-cost: policy.json: promotion.max_false_positive_rate: ")


def test_a_missing_policy_stops_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "gone.json"
    assert main({"DD0C_DEV": "1", "DD0C_POLICY_FILE": str(missing), "PORT": "3999"}) == 2
    assert "gone.json: cannot be read" in capsys.readouterr().err
