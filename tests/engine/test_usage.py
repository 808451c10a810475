"""engine.usage: seasonal normal, spike decision with its start, and the usage prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import usage
from engine.usage import Stream, StreamKey, spike_of
from pricing import load_catalogue

KEY = StreamKey("111122223333", "us-east-1", "lambda", "resize-images")
NOW = datetime(2026, 12, 2, 14, tzinfo=UTC)  # a Wednesday, 14:00 UTC
H = timedelta(hours=1)


def _flat(level: float, *, nightly: float | None = None, days: int = 15) -> dict[datetime, float]:
    start = NOW - days * usage.DAY
    out: dict[datetime, float] = {}
    hour = start
    while hour < NOW:
        out[hour] = nightly if nightly is not None and hour.hour == 2 else level
        hour += H
    return out


def _stream(hourly: dict[datetime, float], priced: bool = True) -> Stream:
    return Stream(KEY, hourly, "USD" if priced else "tokens", priced)


def test_a_spike_far_above_the_same_hour_is_found_with_its_start() -> None:
    hourly = _flat(1.0)
    hourly[NOW - H] = 30.0
    hourly[NOW] = 40.0
    spike = spike_of(_stream(hourly), NOW)
    assert spike is not None
    assert spike.since == NOW - H
    assert spike.amount == 40.0
    assert spike.normal == pytest.approx(1.0)
    assert spike.ratio == pytest.approx(40.0)
    assert spike.severity == "critical"  # $39/h above normal
    assert spike.anomaly_id.endswith(":20261202T13")


def test_a_one_hour_dip_is_still_the_same_spike_but_two_hours_start_a_new_one() -> None:
    hourly = _flat(1.0)
    hourly[NOW - 2 * H] = 30.0  # the spike, a normal hour, the spike again
    hourly[NOW] = 30.0
    spike = spike_of(_stream(hourly), NOW)
    assert spike is not None and spike.since == NOW - 2 * H
    hourly[NOW - 3 * H] = 30.0
    hourly[NOW - 2 * H] = 1.0  # two normal hours between: a new spike
    hourly[NOW - H] = 1.0
    spike = spike_of(_stream(hourly), NOW)
    assert spike is not None and spike.since == NOW


def test_the_nightly_job_hour_is_normal_but_the_same_amount_at_noon_is_not() -> None:
    hourly = _flat(0.2, nightly=12.0)
    night = NOW.replace(hour=2)
    hourly[night] = 12.5
    assert spike_of(_stream(hourly), night) is None
    hourly[NOW] = 12.0
    spike = spike_of(_stream(hourly), NOW)
    assert spike is not None and spike.severity == "warning"


def test_weekends_are_their_own_normal() -> None:
    saturday = datetime(2026, 12, 5, 14, tzinfo=UTC)
    hourly: dict[datetime, float] = {}
    hour = saturday - 15 * usage.DAY
    while hour <= saturday:
        hourly[hour] = 8.0 if hour.weekday() >= 5 else 0.5
        hour += H
    assert spike_of(_stream(hourly), saturday) is None
    assert usage.normal_for(_stream(hourly), saturday).count == 4


@pytest.mark.parametrize(
    ("now_amount", "priced", "expected"),
    [
        (1.4, True, "info"),  # 14x the normal $0.10/h, $1.30/h extra
        (0.25, True, None),  # below 3x
        (0.35, True, None),  # 3.5x but only $0.25/h extra: below the $0.50/h floor
        (0.35, False, "warning"),  # units have no dollar floor
    ],
)
def test_floors(now_amount: float, priced: bool, expected: str | None) -> None:
    hourly = _flat(0.1)
    hourly[NOW] = now_amount
    spike = spike_of(_stream(hourly, priced), NOW)
    assert (spike.severity if spike else None) == expected


def test_a_young_stream_is_still_learning() -> None:
    hourly = {NOW - 2 * usage.DAY: 0.1, NOW - usage.DAY: 0.1, NOW: 50.0}
    assert spike_of(_stream(hourly), NOW) is None


def test_lambda_price_is_requests_plus_gb_seconds_of_configured_memory() -> None:
    catalogue = load_catalogue()
    requests = catalogue.lambda_rate("requests", "us-east-1").usd
    duration = catalogue.lambda_rate("duration", "us-east-1").usd
    assert requests is not None and duration is not None
    priced = usage.lambda_hourly(
        catalogue, "us-east-1", {NOW: 1_000_000.0}, {NOW: 200_000_000.0}, 2048
    )
    assert priced.hourly is not None
    assert priced.hourly[NOW] == pytest.approx(1_000_000 * requests + 200_000 * 2 * duration)
    unknown = usage.lambda_hourly(catalogue, "us-east-1", {NOW: 1.0}, {NOW: 1.0}, None)
    assert unknown.hourly is None and "memory" in (unknown.note or "")


def test_nat_price_per_gb_processed_and_unknown_regions_say_why() -> None:
    catalogue = load_catalogue()
    priced = usage.nat_hourly(catalogue, "us-east-1", {NOW: 100 * 1024**3})
    assert priced.hourly == {NOW: pytest.approx(4.5)}
    unknown = usage.nat_hourly(catalogue, "eu-west-3", {NOW: 1.0})
    assert unknown.hourly is None and "eu-west-3" in (unknown.note or "")
