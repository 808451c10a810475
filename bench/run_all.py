"""Every benchmark, in the order the README reports them (`make bench`)."""

from __future__ import annotations

from bench import backtest_bench, ingest_bench, scenario_bench, span_bench, speed


def main() -> int:
    """Run the speed, scenario, ingestion and span benchmarks."""
    print("== speed ==")
    speed.main([])
    print("== backtest at archive scale ==")
    backtest_bench.main(["speed"])
    backtest_bench.main(["density"])
    backtest_bench.main(["s3"])
    print("== scenarios ==")
    scenario_bench.main([])
    print("== ingestion ==")
    ingest_bench.main([])
    print("== scoring spans ==")
    span_bench.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
