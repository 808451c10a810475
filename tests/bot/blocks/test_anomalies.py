"""`/dd0c anomalies`: newest first, compact rows, pagination values that round-trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bot.blocks import PageRequest, anomaly_list
from tests.bot.blocks.helpers import NOW, all_text, anomaly, check_message


def _rows(count: int) -> list[Any]:
    return [
        anomaly(_id=f"evt-{n}", event_time=NOW - timedelta(hours=count - n), size=f"m5.{n}xlarge")
        for n in range(count)
    ]


def _list(**kwargs: Any) -> list[dict[str, Any]]:
    args: dict[str, Any] = {
        "title": "Open anomalies, last 24 h",
        "page": 1,
        "page_size": 10,
        "total": 3,
        "now": NOW,
        "scope": "open",
        "since": "24h",
    }
    args.update(kwargs)
    return check_message(anomaly_list(args.pop("rows", _rows(3)), **args))


def test_rows_are_newest_first_and_compact() -> None:
    blocks = _list()
    rows = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert [r.split("*")[1] for r in rows] == ["m5.2xlarge × 2", "m5.1xlarge × 2", "m5.0xlarge × 2"]
    assert rows[0].startswith(":red_circle: *m5.2xlarge × 2* in `us-east-1` · $65.54/h · ")
    assert "MLTraining (session: alice)" in rows[0]
    assert "<!date^" in rows[0] and rows[0].endswith("_open_")


def test_summary_line() -> None:
    summary = _list(total=23)[1]["elements"][0]["text"]
    assert summary == "Page 1 of 3 · 23 anomalies · open ones, last 24h"


@pytest.mark.parametrize(
    ("page", "total", "buttons"),
    [(1, 3, []), (1, 23, ["Older →"]), (2, 23, ["← Newer", "Older →"]), (3, 23, ["← Newer"])],
)
def test_pagination_buttons(page: int, total: int, buttons: list[str]) -> None:
    actions = [b for b in _list(page=page, total=total) if b["type"] == "actions"]
    assert [a["elements"][0]["text"]["text"] for a in actions] == buttons
    for block in actions:
        (button,) = block["elements"]
        assert button["action_id"] == "anomalies_page"
        request = PageRequest.parse(button["value"])
        expected = page - 1 if button["text"]["text"].startswith("←") else page + 1
        assert request == PageRequest(scope="open", since="24h", page=expected)


def test_the_button_value_is_the_documented_json() -> None:
    value = PageRequest(scope="open", since="24h", page=2).value()
    assert value == '{"scope":"open","since":"24h","page":2}'
    assert PageRequest.parse(value).page == 2


@pytest.mark.parametrize("scope", ["open", "all"])
@pytest.mark.parametrize("since", [None, "24h", "7d"])
@pytest.mark.parametrize("page", [1, 2, 99_999])
def test_page_requests_round_trip(scope: Any, since: str | None, page: int) -> None:
    request = PageRequest(scope=scope, since=since, page=page)
    assert PageRequest.parse(request.value()) == request
    assert len(request.value()) <= 2000


@pytest.mark.parametrize(
    "value",
    ['{"scope":"mine","page":1}', '{"page":0}', '{"since":"forever"}', '{"x":1}', "not json"],
)
def test_values_that_are_not_page_requests_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        PageRequest.parse(value)


def test_the_empty_state_says_what_was_asked() -> None:
    blocks = _list(rows=[], total=0, scope="all", since="7d")
    assert blocks[1]["text"]["text"] == "No anomalies (all, last 7d). All quiet."


def test_a_page_larger_than_a_message_is_cut_with_a_count() -> None:
    blocks = _list(rows=_rows(60), page_size=60, total=60)
    assert len([b for b in blocks if b["type"] == "section"]) == 45
    assert "…and 15 more on this page" in all_text(blocks)


def test_fallback_text() -> None:
    message = anomaly_list(_rows(1), title="Open", page=1, page_size=10, total=1, now=NOW)
    assert message.text == "Open: Page 1 of 1 · 1 anomaly"
