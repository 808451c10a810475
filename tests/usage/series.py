"""Metric series for the usage tests: hourly values over 15 days and a Lambda invocation storm."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.usage import DAY, HOUR
from tests.usage.conftest import CATALOGUE, Account

# A Wednesday 14:20 UTC: the judged hour is 13:00-14:00.
NOW = datetime(2026, 12, 2, 14, 20, tzinfo=UTC)
JUDGED = datetime(2026, 12, 2, 13, tzinfo=UTC)


def hours(until: datetime, value: float, *, days: int = 15, **at: float) -> dict[datetime, float]:
    """Hourly values for `days` before `until` (inclusive); `at={'h02': v}` sets an hour of day."""
    out: dict[datetime, float] = {}
    hour = until - days * DAY
    while hour <= until:
        out[hour] = at.get(f"h{hour.hour:02d}", value)
        hour += HOUR
    return out


async def lambda_storm(account: Account, region: str, name: str = "resize-images") -> float:
    """A function at 1,000 calls x 100 ms an hour, then 200,000 x 500 ms in the judged hour;
    returns the judged hour's expected $/h at 1,024 MB."""
    await account.function(region, name, 1024)
    calls = hours(JUDGED, 1000.0)
    calls[JUDGED] = 200_000.0
    duration = {hour: count * 100.0 for hour, count in calls.items()}
    duration[JUDGED] = 200_000 * 500.0
    await account.put(region, "AWS/Lambda", ("FunctionName", name), "Invocations", calls)
    await account.put(region, "AWS/Lambda", ("FunctionName", name), "Duration", duration)
    requests = CATALOGUE.lambda_rate("requests", region).usd
    gb_s = CATALOGUE.lambda_rate("duration", region).usd
    assert requests is not None and gb_s is not None
    return 200_000 * requests + 200_000 * 0.5 * 1.0 * gb_s
