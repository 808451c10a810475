"""Anomalies recorded as the pipeline records them: the event with its verdict, then the anomaly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import Anomaly, Verdict
from engine.scoring import Signals
from storage import Store
from storage.anomalies import StoredAnomaly
from tests.engine.factories import event


async def recorded(
    store: Store,
    tenant: str,
    now: datetime,
    *,
    severity: str = "warning",
    fast_path: bool = False,
    cost: float = 7.0,
    **fields: Any,
) -> StoredAnomaly:
    """A stored event, its verdict (`fast_path` as given) and its pending anomaly."""
    ev = event(cost, at=now, **fields)
    anomaly = Anomaly(severity=severity, score=0.8, reasons=(f"${cost}/h",))
    verdict = Verdict(
        anomaly=anomaly,
        phase="cold-start" if fast_path else "mature",
        signals=Signals(),
        baseline_days=20.0,
        baseline_events=40,
        fast_path=fast_path,
    )
    await store.events.claim(tenant, ev, now)
    await store.events.save_verdict(tenant, ev.event_id, verdict)
    assert await store.anomalies.create(tenant, ev, anomaly, now)
    stored = await store.anomalies.get(tenant, ev.event_id)
    assert stored is not None
    return stored
