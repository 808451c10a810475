"""flags.json: every flag has an owner and expires within 14 days of being added; the check
`make test` runs fails naming an expired flag that is still fully on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from flags import DEFAULT_PATH, FlagsError, expired_fully_on, load_flags
from flags.check import main
from flags.definitions import parse_flags
from flags.switches import parse_gate
from tests.flags.flagfiles import flag, for_workspaces, write


def test_the_repository_flags_are_valid_and_none_is_expired_while_fully_on() -> None:
    flags = load_flags(DEFAULT_PATH)
    assert flags.flags
    for name, definition in flags.flags.items():
        assert definition.metadata.owner, name
        assert (definition.metadata.expires - definition.metadata.added).days <= 14, name
        parse_gate(definition.metadata.gates)
    assert main([]) == 0  # the CI check, on today's date


def test_every_detector_has_a_flag_and_the_safety_net_has_none() -> None:
    gates = {d.metadata.gates for d in load_flags(DEFAULT_PATH).flags.values()}
    from engine.detectors import DETECTORS

    assert {f"detector:{name}" for name in DETECTORS} <= gates
    assert {"weight:weight_size", "weight:weight_actor"} <= gates
    assert not any("safety" in g or "critical_usd" in g or "band" in g for g in gates)


def test_an_expired_flag_fully_on_fails_the_check_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "flags.json",
        {
            "detector.sizeJump": flag("detector:sizeJump", owner="alice"),
            "scoring.half-on": flag("weight:weight_size", "off", for_workspaces("T1")),
            "scoring.off": flag("weight:weight_actor", "off"),
        },
    )
    assert main([str(path)], today=date(2026, 12, 19)) == 0  # the last day is still valid
    assert main([str(path)], today=date(2026, 12, 20)) == 1
    err = capsys.readouterr().err
    assert (
        "flag 'detector.sizeJump' (owner alice) expired on 2026-12-19 and is still fully on" in err
    )
    assert "scoring.half-on" not in err and "scoring.off" not in err
    assert expired_fully_on(load_flags(path), date(2026, 12, 20)) == err.strip().splitlines()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"expires": "2026-12-20"}, "must be within 14 days after added 2026-12-05"),
        ({"owner": ""}, "flags.f.metadata.owner"),
        ({"gates": ""}, "flags.f.metadata.gates"),
    ],
)
def test_a_flag_without_owner_gate_or_short_ttl_is_refused(
    change: dict[str, str], says: str
) -> None:
    definition = flag("detector:sizeJump")
    definition["metadata"] |= change
    with pytest.raises(FlagsError, match=says.replace(".", r"\.")):
        parse_flags(json.dumps({"flags": {"f": definition}}))


@pytest.mark.parametrize(
    "gates", ["detector:noSuchDetector", "weight:alert_score", "threshold:z.medium=abc", "x:y"]
)
def test_a_gate_naming_nothing_the_engine_knows_is_refused(gates: str) -> None:
    with pytest.raises(FlagsError, match="not a detector, parsers, weight or threshold"):
        parse_gate(gates)
