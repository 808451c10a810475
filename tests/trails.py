"""CloudTrail records for the tests; their home is `bench/trails.py` (benchmarks use them too)."""

from __future__ import annotations

from bench.trails import ACCOUNT, WHO, describe, envelope, run_instances, state_change

__all__ = ["ACCOUNT", "WHO", "describe", "envelope", "run_instances", "state_change"]
