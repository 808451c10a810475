"""Usage streams (CloudWatch metrics no API call announces): their price and their spikes.

A stream is one account x region x service x resource (a Lambda function, a Bedrock model, a NAT
gateway, a DynamoDB table) with one amount per clock hour: dollars when the catalogue prices it,
else the metric's own units. Its normal is seasonal: the same hour of the day on the same kind of
day (weekday or weekend) over the last two weeks, kept in the baselines' exact `Stats`, so a job
that runs every night at 02:00 is normal at 02:00 and a spike at 14:00.

Pure: the caller fetches the metrics and passes the hour being judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from engine.baselines import Stats
from pricing import Catalogue

Severity = Literal["info", "warning", "critical"]
USAGE_EVENT = "UsageSpike"  # the event name of a usage spike's anomaly (the card is chosen by it)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Every number of the usage watch (decision 0006).
HISTORY_DAYS = 14
MIN_SAMPLES = 4  # two weekends in 14 days give a weekend hour 4 samples
SPIKE_RATIO = 3.0  # now >= 3 x the seasonal mean ...
SPIKE_Z = 4.0  # ... and >= mean + 4 standard deviations
MIN_EXTRA_USD = 0.50  # a priced spike must add at least $0.50/h
WARNING_EXTRA_USD = 5.0
CRITICAL_EXTRA_USD = 25.0
MAX_RUN_HOURS = 24  # how far back "since" looks for the start of a spike
GAP_HOURS = 1  # a spike that dips below the bar for one hour is still the same spike
BYTES_PER_GB = 1024**3  # AWS bills data processing per GB of 2^30 bytes


@dataclass(frozen=True, slots=True)
class StreamKey:
    """Which usage stream: account x region x service x resource."""

    account_id: str
    region: str
    service: str
    resource: str


@dataclass(frozen=True, slots=True)
class Stream:
    """One stream's hourly amounts ($ when priced, else `unit`), keyed by the hour's start."""

    key: StreamKey
    hourly: Mapping[datetime, float]
    unit: str
    priced: bool
    price_note: str | None = None
    """Why the stream has no price, or what its price leaves out."""


@dataclass(frozen=True, slots=True)
class Spike:
    """A stream far above its seasonal normal."""

    key: StreamKey
    hour: datetime
    since: datetime
    amount: float
    normal: float
    ratio: float | None
    severity: Severity
    unit: str
    priced: bool

    @property
    def anomaly_id(self) -> str:
        """One id per spike run: the same spike seen hour after hour alerts once."""
        k = self.key
        return f"usage:{k.account_id}:{k.region}:{k.service}:{k.resource}:{self.since:%Y%m%dT%H}"


def seasonal_bucket(hour: datetime) -> tuple[bool, int]:
    """(weekend?, hour of day): what an hour is compared with."""
    return hour.weekday() >= 5, hour.hour


def normal_for(stream: Stream, hour: datetime, days: int = HISTORY_DAYS) -> Stats:
    """Stats of the same seasonal bucket in the `days` before `hour` (missing hours count 0).

    CloudWatch returns no datapoint for an hour without usage, so an hour after the stream's first
    datapoint with nothing recorded is a zero, and hours before it are not known at all.
    """
    if not stream.hourly:
        return Stats()
    first = min(stream.hourly)
    bucket = seasonal_bucket(hour)
    stats = Stats()
    for back in range(1, days + 1):
        past = hour - back * DAY
        if past < first or seasonal_bucket(past) != bucket:
            continue
        stats = stats.add(stream.hourly.get(past, 0.0))
    return stats


def _above(amount: float, stats: Stats, priced: bool) -> bool:
    if stats.count < MIN_SAMPLES or amount <= 0:
        return False
    mean = stats.mean
    if amount < SPIKE_RATIO * mean or amount < mean + SPIKE_Z * stats.std:
        return False
    return not priced or amount - mean >= MIN_EXTRA_USD


def _severity(extra: float, priced: bool) -> Severity:
    if not priced:
        return "warning"
    if extra >= CRITICAL_EXTRA_USD:
        return "critical"
    return "warning" if extra >= WARNING_EXTRA_USD else "info"


def _start(stream: Stream, hour: datetime) -> datetime:
    """The first hour of the spike that includes `hour` (dips of up to GAP_HOURS included)."""
    since, before, gap = hour, hour, 0
    for _ in range(MAX_RUN_HOURS):
        before -= HOUR
        if _above(stream.hourly.get(before, 0.0), normal_for(stream, before), stream.priced):
            since, gap = before, 0
        elif gap < GAP_HOURS:
            gap += 1
        else:
            break
    return since


def spike_of(stream: Stream, hour: datetime) -> Spike | None:
    """The stream's spike at `hour` (a complete clock hour), or None when it is normal."""
    amount = stream.hourly.get(hour, 0.0)
    stats = normal_for(stream, hour)
    if not _above(amount, stats, stream.priced):
        return None
    since = _start(stream, hour)
    mean = stats.mean
    return Spike(
        key=stream.key,
        hour=hour,
        since=since,
        amount=amount,
        normal=mean,
        ratio=amount / mean if mean > 0 else None,
        severity=_severity(amount - mean, stream.priced),
        unit=stream.unit,
        priced=stream.priced,
    )


# --- prices -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Priced:
    """Hourly amounts in dollars, or None with the reason there is no price."""

    hourly: Mapping[datetime, float] | None
    note: str | None


def _combine(parts: Sequence[tuple[Mapping[datetime, float], float]]) -> dict[datetime, float]:
    out: dict[datetime, float] = {}
    for series, rate in parts:
        for hour, value in series.items():
            out[hour] = out.get(hour, 0.0) + value * rate
    return out


def lambda_hourly(
    catalogue: Catalogue,
    region: str,
    invocations: Mapping[datetime, float],
    duration_ms: Mapping[datetime, float],
    memory_mb: int | None,
    arch: str = "x86_64",
) -> Priced:
    """$/h of a function: requests x the request rate + GB-s (configured memory) x duration rate."""
    if memory_mb is None or memory_mb <= 0:
        return Priced(None, "the function's configured memory is unknown, so its GB-s are too")
    requests = catalogue.lambda_rate("requests", region, arch)
    duration = catalogue.lambda_rate("duration", region, arch)
    for quote in (requests, duration):
        if quote.usd is None:
            return Priced(None, quote.reason)
    assert requests.usd is not None and duration.usd is not None
    gb_s_per_ms = memory_mb / 1024 / 1000
    hourly = _combine([(invocations, requests.usd), (duration_ms, gb_s_per_ms * duration.usd)])
    return Priced(hourly, duration.note)


def nat_hourly(
    catalogue: Catalogue, region: str, processed_bytes: Mapping[datetime, float]
) -> Priced:
    """$/h of a NAT gateway's data processing (the hourly charge is the CloudTrail side's)."""
    quote = catalogue.nat_gateway_data(region)
    if quote.usd is None:
        return Priced(None, quote.reason)
    return Priced(_combine([(processed_bytes, quote.usd / BYTES_PER_GB)]), None)
