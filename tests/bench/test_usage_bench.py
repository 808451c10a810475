"""bench.usage_bench on a few streams: quiet on every normal shape, spikes of >= 5x caught once."""

from __future__ import annotations

from bench.usage_bench import SHAPES, run


def test_a_small_run_is_quiet_and_catches_its_spikes_once() -> None:
    figures = run(streams=2 * len(SHAPES), seed=3)
    assert figures["judged_hours"] == 8 * 7 * 24
    assert figures["false_alerts"] == 0
    assert figures["spikes_injected"] == 8
    assert figures["spikes_caught"] == figures["anomalies_from_caught_spikes"]
    caught = figures["caught_by_size"]
    assert isinstance(caught, dict)
    for size, ratio in caught.items():
        if size != "3x":
            got, of = ratio.split("/")
            assert got == of
