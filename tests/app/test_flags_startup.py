"""A bad flags.json stops start-up in one line naming the flag and field (exit 2), like a bad
policy.json; nothing is started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.serve import main


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "flags.json: not valid JSON"),
        (
            json.dumps(
                {
                    "flags": {
                        "f": {
                            "state": "ENABLED",
                            "variants": {"on": True},
                            "defaultVariant": "on",
                            "metadata": {},
                        }
                    }
                }
            ),
            "flags.json: flags.f.metadata.owner: Field required",
        ),  # fmt: skip
        (
            json.dumps(
                {
                    "flags": {
                        "f": {
                            "state": "ENABLED",
                            "variants": {"on": True},
                            "defaultVariant": "on",
                            "metadata": {
                                "owner": "x",
                                "added": "2026-12-05",
                                "expires": "2026-12-06",
                                "gates": "detector:nope",
                            },
                        }
                    }
                }
            ),
            "gates 'detector:nope': not a detector",
        ),  # fmt: skip
    ],
)
def test_a_bad_flags_file_stops_start_up_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, says: str
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(content)
    assert main({"DD0C_DEV": "1", "DD0C_FLAGS_FILE": str(path)}) == 2
    err = capsys.readouterr().err
    assert err.startswith("dd0c-cost: ") and says in err and err.count("\n") == 1
