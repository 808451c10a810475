"""Join backtest verdicts with scenario labels: overall and per-category figures.

Incident categories: incident-level recall (an incident is caught when any of its calls is
rated warning or critical) and call-level recall (the share of its calls so rated). Quiet
categories: the false-alert rate, warning+ among their scored events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ingest.backtest import BacktestResult

ALERTING = ("warning", "critical")
# Incident categories whose every call should alert: they also report call-level recall.
CALL_LEVEL = ("rate-burst", "repeat-compromise")


@dataclass
class Category:
    """Counts for one label category (incident or quiet)."""

    events: int = 0
    incidents: int = 0
    caught: int = 0
    calls: int = 0
    calls_alerted: int = 0
    scored: int = 0
    alerts: int = 0
    repeats_scored: int = 0
    repeats_alerts: int = 0

    def add(self, other: Category) -> None:
        """Add another run's counts."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class Outcome:
    """What one run (or several merged) measured."""

    incidents: int = 0
    incidents_alerted: int = 0
    incidents_25: int = 0
    incidents_25_critical: int = 0
    normal_mature: int = 0
    normal_mature_false: int = 0
    normal_all: int = 0
    normal_all_false: int = 0
    incident_categories: dict[str, Category] = field(default_factory=dict)
    quiet_categories: dict[str, Category] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        """Add another run's counts (the missed lists are concatenated)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, int):
                setattr(self, f.name, mine + theirs)
            elif isinstance(mine, list):
                mine.extend(theirs)
            else:
                for name, counts in theirs.items():
                    mine.setdefault(name, Category()).add(counts)

    def as_json(self) -> dict[str, Any]:
        """Machine-readable figures."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["incident_categories"] = {
            name: {
                "incidents": c.incidents, "caught": c.caught,
                "recall": _rate(c.caught, c.incidents),
                "calls": c.calls, "calls_alerted": c.calls_alerted,
                "call_recall": _rate(c.calls_alerted, c.calls),
            }
            for name, c in sorted(self.incident_categories.items())
        }  # fmt: skip
        out["quiet_categories"] = {
            name: {
                "events": c.events, "scored": c.scored, "alerts": c.alerts,
                "false_alert_rate": _rate(c.alerts, c.scored),
                "repeats_scored": c.repeats_scored, "repeats_alerts": c.repeats_alerts,
            }
            for name, c in sorted(self.quiet_categories.items())
        }  # fmt: skip
        out["false_alert_rate_mature"] = _rate(self.normal_mature_false, self.normal_mature)
        out["false_alert_rate_all"] = _rate(self.normal_all_false, self.normal_all)
        return out


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / max(whole, 1):.2f}%"


def overall_line(outcome: Outcome, name: str) -> str:
    """The headline: incidents caught, ≥$25/h critical, false alerts (mature / all normal)."""
    o = outcome
    return (
        f"{name:<34} incidents caught {o.incidents_alerted}/{o.incidents}  "
        f"≥$25/h critical {o.incidents_25_critical}/{o.incidents_25}  "
        f"false alerts (mature) {o.normal_mature_false}/{o.normal_mature} = "
        f"{_percent(o.normal_mature_false, o.normal_mature)}  "
        f"(all normal {_percent(o.normal_all_false, o.normal_all)})"
    )


def category_lines(outcome: Outcome) -> list[str]:
    """One line per category: recall for incidents, false-alert rate for quiet patterns."""
    lines = []
    for name, c in sorted(outcome.incident_categories.items()):
        text = f"  incident {name:<20} caught {c.caught}/{c.incidents}  ({c.events} calls)"
        if name in CALL_LEVEL:
            text += f"  calls alerted {c.calls_alerted}/{c.calls}"
        lines.append(text)
    for name, c in sorted(outcome.quiet_categories.items()):
        text = (
            f"  quiet    {name:<20} false alerts {c.alerts}/{c.scored} = "
            f"{_percent(c.alerts, c.scored)}  ({c.events} events)"
        )
        if name == "recurring-cold-start":
            text += f"  (after the first night: {c.repeats_alerts}/{c.repeats_scored})"
        lines.append(text)
    return lines


def _severity(result: BacktestResult, event_id: str) -> str | None:
    verdict = result.verdicts.get(event_id)
    return verdict.anomaly.severity if verdict and verdict.anomaly else None


class _Join:
    """Walks the labels once, filling an Outcome."""

    def __init__(self, result: BacktestResult) -> None:
        self.result = result
        self.costs = {e.event_id: e.estimated_hourly_cost for e in result.events}
        self.outcome = Outcome()
        self.caught: dict[str, bool] = {}
        self.category_of: dict[str, str] = {}
        self.calls: dict[str, list[str | None]] = {}
        self.seen_series: set[tuple[str, str, str]] = set()

    def incident(self, event_id: str, label: Mapping[str, Any]) -> None:
        severity = _severity(self.result, event_id)
        incident = label.get("incidentId") or event_id
        self.category_of[incident] = label.get("category") or "incident"
        self.calls.setdefault(incident, []).append(severity)
        self.caught[incident] = self.caught.get(incident, False) or severity in ALERTING
        cost = self.costs.get(event_id)
        if cost is not None and cost > 25:
            self.outcome.incidents_25 += 1
            self.outcome.incidents_25_critical += severity == "critical"
            if severity != "critical":
                self.outcome.missed.append(f"{label['scenario']} ≥$25/h rated {severity}")

    def normal(self, event_id: str, label: Mapping[str, Any]) -> None:
        o = self.outcome
        counts = o.quiet_categories.setdefault(label.get("category") or "normal", Category())
        counts.events += 1
        verdict = self.result.verdicts.get(event_id)
        if verdict is None or verdict.phase == "unscored":
            return
        alert = _severity(self.result, event_id) in ALERTING
        o.normal_all += 1
        o.normal_all_false += alert
        if verdict.phase == "mature":
            o.normal_mature += 1
            o.normal_mature_false += alert
        counts.scored += 1
        counts.alerts += alert
        series = (label["accountId"], label["scenario"], label.get("category") or "normal")
        if series in self.seen_series:
            counts.repeats_scored += 1
            counts.repeats_alerts += alert
        self.seen_series.add(series)

    def finish(self, scenario_of: Mapping[str, str]) -> Outcome:
        o = self.outcome
        o.incidents, o.incidents_alerted = len(self.caught), sum(self.caught.values())
        for incident, severities in sorted(self.calls.items()):
            counts = o.incident_categories.setdefault(self.category_of[incident], Category())
            counts.incidents += 1
            counts.events += len(severities)
            counts.caught += self.caught[incident]
            counts.calls += len(severities)
            alerted = sum(s in ALERTING for s in severities)
            counts.calls_alerted += alerted
            partial = alerted < len(severities) and self.category_of[incident] in CALL_LEVEL
            if not alerted or partial:
                rated = ", ".join(sorted({s or "no alert" for s in severities}))
                o.missed.append(
                    f"{incident} {self.category_of[incident]} {scenario_of[incident]}: "
                    f"{alerted}/{len(severities)} calls alerted ({rated})"
                )
        return o


def evaluate(result: BacktestResult, labels: Mapping[str, Mapping[str, Any]]) -> Outcome:
    """Join verdicts and labels (eventId -> label line) into an Outcome."""
    join = _Join(result)
    scenario_of: dict[str, str] = {}
    for event_id, label in labels.items():
        if label["label"] == "incident":
            join.incident(event_id, label)
            scenario_of[label.get("incidentId") or event_id] = label["scenario"]
        else:
            join.normal(event_id, label)
    return join.finish(scenario_of)


def merged(outcomes: Iterable[Outcome]) -> Outcome:
    """The sum of several runs."""
    total = Outcome()
    for outcome in outcomes:
        total.add(outcome)
    return total
