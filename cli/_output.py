"""Small output helpers shared by the sub-commands."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import orjson


def write_json(obj: Any, out: TextIO | None = None) -> None:
    """One JSON object on one line."""
    stream = out or sys.stdout
    stream.write(orjson.dumps(obj).decode())
    stream.write("\n")


def money(usd: float | None) -> str:
    """Dollars per hour, readable: $0.0960/h, $32.77/h, or 'unpriced'."""
    if usd is None:
        return "unpriced"
    return f"${usd:,.2f}/h" if usd >= 1 else f"${usd:.4f}/h"


class TerminalProgress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._active = self._stream.isatty()
        self._last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Redraw the bar for `stage` at done/total."""
        if not self._active or total <= 0:
            return
        width = 30
        filled = int(width * done / total)
        line = f"\r{stage:<8} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}"
        if line != self._last:
            self._stream.write(line)
            self._stream.flush()
            self._last = line

    def finish(self) -> None:
        """Clear the bar."""
        if self._active and self._last:
            self._stream.write("\r" + " " * len(self._last) + "\r")
            self._stream.flush()
