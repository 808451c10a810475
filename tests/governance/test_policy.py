"""policy.json: the file in the repository is valid, and a bad one fails in one line naming the
field."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance import DEFAULT_PATH, Policy, PolicyError, load_policy, parse_policy, stricter


def test_the_repository_policy_is_valid_and_says_strict_for_14_days() -> None:
    policy = load_policy(DEFAULT_PATH)
    assert policy == Policy()
    assert (policy.governance_mode, policy.learning_days, policy.panic_mode) == (
        "strict",
        14,
        False,
    )
    assert policy.promotion.min_baseline_days == 14
    assert policy.promotion.max_false_positive_rate == pytest.approx(0.10)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (b'{"governance_mode": "yolo"}', "policy.json: governance_mode: Input should be"),
        (b'{"learning_days": -1}', "policy.json: learning_days: "),
        (b'{"promotion": {"max_false_positive_rate": 2}}', "promotion.max_false_positive_rate"),
        (b'{"panic_mode": "maybe"}', "policy.json: panic_mode: "),
        (b'{"governance": "strict"}', "policy.json: governance: Extra inputs"),
        (b"{not json", "policy.json: not valid JSON"),
        (b"[]", "policy.json: (the whole document)"),
    ],
)
def test_a_bad_policy_fails_with_one_line_naming_the_field(raw: bytes, names: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(raw)
    message = str(raised.value)
    assert names in message
    assert "\n" not in message


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"^nope\.json: cannot be read"):
        load_policy(tmp_path / "nope.json")


def test_the_stricter_mode_wins() -> None:
    assert stricter("audit", "strict") == "strict"
    assert stricter("strict", "audit") == "strict"
    assert stricter("audit", None) == "audit"
