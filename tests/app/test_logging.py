"""app.configure_logging: one JSON object a line on stderr, with `extra` fields."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import orjson
import pytest

from app import JsonFormatter, configure_logging


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_one_json_line_with_extra_fields(
    restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    log = logging.getLogger("tests.app")
    log.debug("not shown")
    log.info("hello %s", "world", extra={"queue_url": "https://q", "count": 3})
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = orjson.loads(lines[0])
    assert entry["message"] == "hello world"
    assert (entry["level"], entry["logger"]) == ("INFO", "tests.app")
    assert (entry["queue_url"], entry["count"]) == ("https://q", 3)
    assert entry["time"].endswith("+00:00")
    assert "args" not in entry and "msg" not in entry


def test_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in orjson.loads(line)["exception"]
