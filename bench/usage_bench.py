"""The usage watch's spike rule on generated hourly streams: false alerts and caught spikes.

Streams (priced, $/h) of four shapes with noise: flat, a nightly job (02:00 at 20-60x), business
hours (weekdays 09-18 at 5x), weekend batch (Saturday and Sunday all day at 6x). Each is judged at
every hour of its last 7 days after 14 days of history; a copy gets one injected spike (3-50x the
hour's usual amount, for 1-3 hours) at a random hour of those 7 days.

    .venv/bin/python -m bench.usage_bench [--streams 400] [--seed 1]

Prints: judged hours, false alerts (hours alerted on a stream without a spike), spikes caught
(alerted in the spike's first hour) overall and by size, and how many distinct anomalies (ids)
the caught spikes made (one each = the spike alerts once).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from engine.usage import Stream, StreamKey, spike_of

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
DAYS = 21
JUDGED_DAYS = 7
H = timedelta(hours=1)
Shape = Callable[[datetime, random.Random], float]


def _flat(hour: datetime, rng: random.Random) -> float:
    return 2.0


def _nightly(hour: datetime, rng: random.Random) -> float:
    return 0.5 * (40 if hour.hour == 2 else 1)


def _business(hour: datetime, rng: random.Random) -> float:
    return 1.0 * (5 if hour.weekday() < 5 and 9 <= hour.hour < 18 else 1)


def _weekend(hour: datetime, rng: random.Random) -> float:
    return 1.0 * (6 if hour.weekday() >= 5 else 1)


SHAPES: dict[str, Shape] = {
    "flat": _flat,
    "nightly": _nightly,
    "business-hours": _business,
    "weekend-batch": _weekend,
}


def _series(shape: Shape, rng: random.Random, noise: float) -> dict[datetime, float]:
    out: dict[datetime, float] = {}
    for step in range(DAYS * 24):
        hour = START + step * H
        out[hour] = max(shape(hour, rng) * rng.gauss(1.0, noise), 0.0)
    return out


def _judged() -> list[datetime]:
    first = START + (DAYS - JUDGED_DAYS) * 24 * H
    return [first + step * H for step in range(JUDGED_DAYS * 24)]


def run(streams: int, seed: int, noise: float = 0.15) -> dict[str, object]:
    """Generate, judge, count."""
    rng = random.Random(seed)
    judged = _judged()
    false_alerts = hours = 0
    caught: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    ids: set[str] = set()
    by_shape: Counter[str] = Counter()
    started = time.perf_counter()
    for n in range(streams):
        name = list(SHAPES)[n % len(SHAPES)]
        key = StreamKey("111122223333", "us-east-1", "lambda", f"fn-{n}")
        base = _series(SHAPES[name], rng, noise)
        stream = Stream(key, base, "USD", True)
        for hour in judged:
            hours += 1
            if spike_of(stream, hour) is not None:
                false_alerts += 1
                by_shape[name] += 1
        factor = rng.choice([3, 5, 10, 50])
        at = rng.choice(judged[:-3])
        spiked = dict(base)
        for k in range(rng.randint(1, 3)):
            spiked[at + k * H] = base[at + k * H] * factor + 1.0
        injected[f"{factor}x"] += 1
        spike = spike_of(Stream(key, spiked, "USD", True), at)
        if spike is not None:
            caught[f"{factor}x"] += 1
            ids.add(spike.anomaly_id)
            for k in range(1, 3):
                later = spike_of(Stream(key, spiked, "USD", True), at + k * H)
                if later is not None:
                    ids.add(later.anomaly_id)
    return {
        "streams": streams,
        "judged_hours": hours,
        "false_alerts": false_alerts,
        "false_alerts_by_shape": dict(by_shape),
        "spikes_caught": sum(caught.values()),
        "spikes_injected": sum(injected.values()),
        "caught_by_size": {k: f"{caught[k]}/{injected[k]}" for k in sorted(injected, key=len)},
        "anomalies_from_caught_spikes": len(ids),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", type=float, default=0.15)
    args = parser.parse_args()
    for key, value in run(args.streams, args.seed, args.noise).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
