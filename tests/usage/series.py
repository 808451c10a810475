"""Metric series for the usage tests: hourly values over 15 days and a Lambda invocation storm."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime, timedelta

from engine.usage import DAY, HOUR
from tests.usage.conftest import CATALOGUE, Account

# A Wednesday 14:20 UTC: the judged hour is 13:00-14:00.
NOW = datetime(2026, 12, 2, 14, 20, tzinfo=UTC)
JUDGED = datetime(2026, 12, 2, 13, tzinfo=UTC)
# The reconciled day and what Cost Explorer billed for it.
RECONCILED_DAY = date(2026, 12, 4)


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


BILLED = {
    "Amazon Elastic Compute Cloud - Compute": "9.1234",
    "Amazon Relational Database Service": "6.0",
    "EC2 - Other": "3.4567",
    "AWS Lambda": "1.25",
    "Amazon Simple Storage Service": "2.5",
    "Tax": "0.8",
}


def inject(endpoint: str, account_id: str, billed: dict[str, str]) -> None:
    result = {
        "ResultsByTime": [
            {
                "TimePeriod": {
                    "Start": RECONCILED_DAY.isoformat(),
                    "End": (RECONCILED_DAY + timedelta(1)).isoformat(),
                },
                "Total": {},
                "Groups": [
                    {
                        "Keys": [name],
                        "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
                    }
                    for name, amount in billed.items()
                ],
                "Estimated": False,
            }
        ]
    }
    body = json.dumps({"account_id": account_id, "results": [result]}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
