"""The backtest's readable report: alerts by severity, costliest launches, per-actor summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from cli._output import money
from engine import CostEvent
from engine.scoring import fired_signals
from ingest.backtest import BacktestResult, Conflict

SEVERITY_ORDER = ("critical", "warning", "info")
DETAILED = ("critical", "warning")
MAX_DETAILED = 40
TOP = 10


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
    yield (
        f"           by {event.actor.principal_arn}  (score {event.anomaly.score:.2f}; "
        f"signals: {fired})"
    )
    for reason in event.anomaly.reasons:
        yield f"           - {reason}"


def _header(summary: dict[str, Any]) -> Iterator[str]:
    yield (
        f"dd0c-cost backtest: {summary['files']:,} files, {summary['recordsRead']:,} records "
        f"({summary['duplicatesDropped']:,} duplicates dropped, "
        f"{summary['conflictingDuplicates']:,} conflicting), "
        f"{summary['firstEvent'] or '-'} → {summary['lastEvent'] or '-'}"
    )
    yield (
        f"cost events: {summary['costEvents']:,} ({summary['startingSpend']:,} starting spend, "
        f"{summary['priced']:,} of them priced); "
        f"other records: {summary['notCostEvents']:,}; failed calls: {summary['failedCalls']:,}; "
        f"malformed: {summary['malformed']:,}; {summary['seconds']:.2f}s"
    )
    counts = summary["anomalies"]
    yield "alerts: " + " · ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER)


def _alerts(events: list[CostEvent]) -> Iterator[str]:
    flagged = [e for e in events if e.anomaly and e.anomaly.severity in DETAILED]
    flagged.sort(key=lambda e: (DETAILED.index(e.anomaly.severity), e.event_time))  # type: ignore[union-attr]
    if not flagged:
        yield ""
        yield "No critical or warning alerts."
        return
    yield ""
    yield "Alerts (critical and warning; info waits for the daily digest)"
    for event in flagged[:MAX_DETAILED]:
        yield from _alert_lines(event)
    if len(flagged) > MAX_DETAILED:
        yield f"  … and {len(flagged) - MAX_DETAILED} more (use --json for all)"


def _costliest(events: list[CostEvent]) -> Iterator[str]:
    priced = [e for e in events if e.estimated_hourly_cost and e.action == "launch"]
    priced.sort(key=lambda e: -(e.estimated_hourly_cost or 0.0))
    yield ""
    yield f"Costliest launches (top {TOP})"
    for event in priced[:TOP]:
        flag = event.anomaly.severity if event.anomaly else "-"
        yield (
            f"  {money(event.estimated_hourly_cost):>14}  {_what(event):<26} {event.region:<15}"
            f" {event.event_time:%Y-%m-%d}  {flag:<8} {event.actor.principal_arn}"
        )


def _actors(events: list[CostEvent]) -> Iterator[str]:
    launches: dict[str, int] = defaultdict(int)
    hourly: dict[str, float] = defaultdict(float)
    alerts: dict[str, int] = defaultdict(int)
    for event in events:
        if event.action != "launch":
            continue
        who = event.actor.principal_arn or "?"
        launches[who] += 1
        hourly[who] += event.estimated_hourly_cost or 0.0
        alerts[who] += event.anomaly is not None and event.anomaly.severity in DETAILED
    yield ""
    yield "Per actor (launches, $/h launched in total, critical+warning alerts)"
    for who in sorted(launches, key=lambda w: -hourly[w])[:TOP]:
        yield f"  {launches[who]:>6}  {money(hourly[who]):>14}  {alerts[who]:>4}  {who}"


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


def render(result: BacktestResult) -> str:
    """The whole report as text."""
    lines = [
        *_header(result.summary()),
        *_conflicts(result.collected.conflicts),
        *_alerts(result.events),
        *_costliest(result.events),
        *_actors(result.events),
    ]
    return "\n".join(lines) + "\n"
