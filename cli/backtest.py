"""`dd0c-cost backtest PATH… [--json]`: replay CloudTrail logs through the engine from a cold
start and show what would have alerted."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli._output import TerminalProgress, write_json
from cli.report import render
from ingest.backtest import run_backtest
from pricing import load_catalogue

MAX_BAD_SHOWN = 5


def register(sub: Any) -> None:
    """Add the `backtest` sub-command."""
    parser = sub.add_parser(
        "backtest",
        help="replay CloudTrail logs and report what would have alerted",
        description="Read CloudTrail logs as delivered to S3 (AWSLogs/…/*.json.gz, recursively), "
        "plain JSON, JSON lines or EventBridge envelopes; drop duplicate eventIDs; score every "
        "cost event in time order from a cold start.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument(
        "--json", action="store_true", help="CostEvent lines (anomaly filled), then a summary"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the backtest; exit 2 when nothing could be read, else 0."""
    progress = TerminalProgress()
    result = run_backtest(args.paths, load_catalogue(), progress=progress)
    progress.finish()
    summary = result.summary()
    bad = result.collected.bad
    for item in bad[:MAX_BAD_SHOWN]:
        print(f"dd0c-cost backtest: {item.source}: {item.reason}", file=sys.stderr)
    if len(bad) > MAX_BAD_SHOWN:
        print(f"dd0c-cost backtest: … and {len(bad) - MAX_BAD_SHOWN} more", file=sys.stderr)
    if args.json:
        for event in result.events:
            write_json(event.to_json_dict())
        write_json(summary)
    else:
        sys.stdout.write(render(result))
    return 2 if summary["files"] == 0 else 0
