"""The backtest's report and progress bar on a terminal (rich): tables, severity in colour.

Piped or redirected output stays the plain text of `cli.report`; `--json` is unchanged.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cli._output import money
from cli.report import SEVERITY_ORDER, TOP, Highlights, _header, _what, actor_of
from engine.scoring import fired_signals
from ingest.backtest import BacktestResult, Stats

COLOURS = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
_SCALE = 1000  # the bar's units: thousandths of the listing
UPDATE_EVERY = 0.05  # seconds: the bar is redrawn 10 times a second, not once a file


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if count < 1000:  # noqa: PLR2004
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} PB"


class RichProgress:
    """Files, bytes, records and cost events read, rate and ETA, on stderr (a terminal only)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._bar = Progress(
            TextColumn("reading"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[line]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.console.is_terminal,
            transient=True,
        )
        self._task: TaskID | None = None
        self._next_update = 0.0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        self._task = self._bar.add_task("read", total=_SCALE, line="")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def __call__(self, stats: Stats) -> None:
        """The latest counts, for the next redraw. Called once a file, they are taken at most
        every `UPDATE_EVERY` seconds: updating the bar costs more than reading a small file."""
        now = time.monotonic()
        if self._task is None or now < self._next_update:
            return
        self._next_update = now + UPDATE_EVERY
        elapsed = self._bar.tasks[0].elapsed or 0.0
        rate = stats.records / elapsed if elapsed > 0 else 0.0
        line = (
            f"{stats.files:,} files · {_size(stats.bytes)} · {stats.records:,} records "
            f"({rate:,.0f}/s) · {stats.events:,} cost events"
        )
        completed = None if stats.fraction is None else stats.fraction * _SCALE
        self._bar.update(self._task, completed=completed, line=line)


def _alerts_table(found: Highlights) -> Table:
    table = Table(title="Alerts (critical and warning; info waits for the daily digest)")
    for column in ("severity", "time (UTC)", "account / region", "what", "$/h", "by, signals"):
        table.add_column(column)
    for event in found.alerts_shown():
        assert event.anomaly is not None
        severity = event.anomaly.severity
        signals = ", ".join(fired_signals(event.anomaly)) or "-"
        table.add_row(
            f"[{COLOURS[severity]}]{severity.upper()}[/]",
            f"{event.event_time:%Y-%m-%d %H:%M}",
            f"{event.account_id} {event.region}",
            f"{event.event_name} {_what(event)}",
            money(event.estimated_hourly_cost),
            f"{actor_of(event)}\n{signals} (score {event.anomaly.score:.2f})",
        )
    return table


def _costliest_table(found: Highlights) -> Table:
    table = Table(title=f"Costliest launches (top {TOP})")
    for column in ("$/h", "what", "region", "day", "alert", "by"):
        table.add_column(column, justify="right" if column == "$/h" else "left")
    for event in found.costliest():
        severity = event.anomaly.severity if event.anomaly else "-"
        shown = f"[{COLOURS[severity]}]{severity}[/]" if severity in COLOURS else severity
        table.add_row(
            money(event.estimated_hourly_cost),
            _what(event),
            event.region,
            f"{event.event_time:%Y-%m-%d}",
            shown,
            actor_of(event),
        )
    return table


def _actors_table(found: Highlights) -> Table:
    table = Table(title="Per actor")
    for column in ("launches", "$/h launched", "critical+warning", "actor"):
        table.add_column(column, justify="left" if column == "actor" else "right")
    for who in found.actors():
        table.add_row(
            f"{found.launches[who]:,}", money(found.hourly[who]), str(found.alerts[who]), who
        )
    return table


def show(result: BacktestResult, found: Highlights, console: Console) -> None:
    """The report as rich tables."""
    summary: dict[str, Any] = result.summary()
    for line in list(_header(summary))[:-1]:
        console.print(line, highlight=False)
    counts = summary["anomalies"]
    console.print(
        "alerts: " + " · ".join(f"[{COLOURS[s]}]{counts[s]} {s}[/]" for s in SEVERITY_ORDER),
        highlight=False,
    )
    if summary["lateRecords"]:
        console.print(f"[yellow]{summary['lateRecords']:,} records arrived after the window[/]")
    if result.collected.conflicts:
        console.print(
            f"[yellow]{len(result.collected.conflicts)} conflicting duplicates "
            "(--json or a pipe lists them)[/]"
        )
    if found.flagged_total:
        console.print(_alerts_table(found))
        if found.flagged_total > len(found.alerts_shown()):
            more = found.flagged_total - len(found.alerts_shown())
            console.print(f"… and {more} more (use --json for all)")
    else:
        console.print("No critical or warning alerts.")
    console.print(_costliest_table(found))
    console.print(_actors_table(found))
