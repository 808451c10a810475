"""The backtest's readable report: alerts by severity, costliest launches, per-actor summary.

`Highlights` gathers what the report shows while the events stream past (bounded: the first alerts
of each severity, the top launches, one line per actor), so the events need not be kept. `render`
writes plain text (pipes, files); `cli.report_rich` draws the same as tables on a terminal.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cli._output import money
from engine import CostEvent
from engine.scoring import fired_signals
from ingest.backtest import BacktestResult, Conflict

SEVERITY_ORDER = ("critical", "warning", "info")
DETAILED = ("critical", "warning")
MAX_DETAILED = 40
TOP = 10


@dataclass
class Highlights:
    """What the report shows, gathered event by event (events arrive in time order)."""

    flagged: dict[str, list[CostEvent]] = field(default_factory=lambda: {s: [] for s in DETAILED})
    flagged_total: int = 0
    top: list[tuple[float, int, CostEvent]] = field(default_factory=list)
    launches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hourly: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    alerts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _seen: int = 0

    def add(self, event: CostEvent) -> None:
        """Take one scored event into account."""
        self._seen += 1
        severity = event.anomaly.severity if event.anomaly else None
        if severity in DETAILED:
            self.flagged_total += 1
            kept = self.flagged[severity]
            if len(kept) < MAX_DETAILED:
                kept.append(event)
        if event.action != "launch":
            return
        cost = event.estimated_hourly_cost
        if cost:
            # Smallest cost, then latest, leaves first: the same ten a stable sort keeps.
            heapq.heappush(self.top, (cost, -self._seen, event))
            if len(self.top) > TOP:
                heapq.heappop(self.top)
        who = actor_of(event)
        self.launches[who] += 1
        self.hourly[who] += cost or 0.0
        self.alerts[who] += severity in DETAILED

    @classmethod
    def of(cls, events: Iterable[CostEvent]) -> Highlights:
        """Highlights of events already kept."""
        found = cls()
        for event in events:
            found.add(event)
        return found

    def alerts_shown(self) -> list[CostEvent]:
        """Critical first, then warnings, each by time; at most MAX_DETAILED."""
        both = [e for s in DETAILED for e in sorted(self.flagged[s], key=lambda e: e.event_time)]
        return both[:MAX_DETAILED]

    def costliest(self) -> list[CostEvent]:
        """The TOP costliest launches, costliest first (earlier first on a tie)."""
        return [event for _, _, event in sorted(self.top, key=lambda t: (-t[0], -t[1]))]

    def actors(self) -> list[str]:
        """The TOP actors by $/h launched."""
        return sorted(self.launches, key=lambda w: -self.hourly[w])[:TOP]


def actor_of(event: CostEvent) -> str:
    """Who made the call, as the report names them ("?" when the record does not say)."""
    return event.actor.principal_arn or "?"


def _what(event: CostEvent) -> str:
    size = event.size or event.resource_type
    return f"{size} ×{event.quantity}" if event.quantity != 1 else size


def _alert_lines(event: CostEvent) -> Iterator[str]:
    assert event.anomaly is not None
    yield (
        f"  {event.anomaly.severity.upper():<8} {event.event_time:%Y-%m-%d %H:%M}  "
        f"{event.account_id} {event.region}  {event.event_name} {_what(event)}  "
        f"{money(event.estimated_hourly_cost)}"
    )
    fired = ", ".join(fired_signals(event.anomaly)) or "-"
    yield (f"           by {actor_of(event)}  (score {event.anomaly.score:.2f}; signals: {fired})")
    for reason in event.anomaly.reasons:
        yield f"           - {reason}"


def _header(summary: dict[str, Any]) -> Iterator[str]:
    yield (
        f"dd0c-cost backtest: {summary['files']:,} files, {summary['recordsRead']:,} records "
        f"({summary['duplicatesDropped']:,} duplicates dropped, "
        f"{summary['conflictingDuplicates']:,} conflicting), "
        f"{summary['firstEvent'] or summary['firstRecord'] or '-'} → "
        f"{summary['lastEvent'] or summary['lastRecord'] or '-'}"
    )
    yield (
        f"cost events: {summary['costEvents']:,} ({summary['startingSpend']:,} starting spend, "
        f"{summary['priced']:,} of them priced); "
        f"other records: {summary['notCostEvents']:,}; failed calls: {summary['failedCalls']:,}; "
        f"malformed: {summary['malformed']:,}; unreadable: {summary['unreadable']:,}; "
        f"{summary['seconds']:.2f}s"
    )
    counts = summary["anomalies"]
    yield "alerts: " + " · ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER)


def _alerts(found: Highlights) -> Iterator[str]:
    flagged = found.alerts_shown()
    if not flagged:
        yield ""
        yield "No critical or warning alerts."
        return
    yield ""
    yield "Alerts (critical and warning; info waits for the daily digest)"
    for event in flagged:
        yield from _alert_lines(event)
    if found.flagged_total > MAX_DETAILED:
        yield f"  … and {found.flagged_total - MAX_DETAILED} more (use --json for all)"


def _costliest(found: Highlights) -> Iterator[str]:
    yield ""
    yield f"Costliest launches (top {TOP})"
    for event in found.costliest():
        flag = event.anomaly.severity if event.anomaly else "-"
        yield (
            f"  {money(event.estimated_hourly_cost):>14}  {_what(event):<26} {event.region:<15}"
            f" {event.event_time:%Y-%m-%d}  {flag:<8} {actor_of(event)}"
        )


def _actors(found: Highlights) -> Iterator[str]:
    yield ""
    yield "Per actor (launches, $/h launched in total, critical+warning alerts)"
    for who in found.actors():
        yield (
            f"  {found.launches[who]:>6}  {money(found.hourly[who]):>14}  "
            f"{found.alerts[who]:>4}  {who}"
        )


def _conflicts(conflicts: list[Conflict]) -> Iterator[str]:
    """Duplicate eventIDs with other content: suspicious, a launch could hide behind one."""
    if not conflicts:
        return
    yield ""
    yield (
        f"Conflicting duplicates ({len(conflicts)}): the same eventID with other content; "
        "the first record was kept, check the others"
    )
    for c in conflicts[:TOP]:
        yield f"  {c.event_id}: kept {c.first_event} (sha256 {c.first_digest[:12]})"
        yield f"  {'':>{len(c.event_id)}}  dropped {c.event} (sha256 {c.digest[:12]})"
    if len(conflicts) > TOP:
        yield f"  … and {len(conflicts) - TOP} more"


def render(result: BacktestResult, found: Highlights | None = None) -> str:
    """The whole report as text (`found`: gathered while streaming, else from the kept events)."""
    shown = found if found is not None else Highlights.of(result.events)
    lines = [
        *_header(result.summary()),
        *_conflicts(result.collected.conflicts),
        *_alerts(shown),
        *_costliest(shown),
        *_actors(shown),
    ]
    return "\n".join(lines) + "\n"
