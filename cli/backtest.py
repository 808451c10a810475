"""`dd0c-cost backtest PATH|s3://bucket/prefix/ … [--since D] [--until D] [--account A]
[--region R] [--json]`: replay CloudTrail logs through the engine from a cold start and show what
would have alerted."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from rich.console import Console

from cli._output import write_json
from cli.report import Highlights, render
from cli.report_rich import RichProgress, show
from ingest.backtest import DEFAULT_WINDOW, BacktestResult, Options, run_backtest
from ingest.layout import Filters
from ingest.s3logs import DEFAULT_CONCURRENCY, S3Reader
from pricing import load_catalogue

MAX_BAD_SHOWN = 5
MAX_WINDOW_MINUTES = 7 * 24 * 60  # records wait in memory this long: a week is already lavish
MAX_PARALLEL = 256  # worker processes or S3 GETs at a time
_ACCOUNT_DIGITS = 12


def _whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (a clear error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"from {low} to {high}, not {value}")
        return value

    return parse


def _account(text: str) -> str:
    """An AWS account ID: 12 digits, as CloudTrail's folders name them."""
    if len(text) != _ACCOUNT_DIGITS or not text.isdigit() or not text.isascii():
        raise argparse.ArgumentTypeError(f"an AWS account ID is 12 digits, not {text!r}")
    return text


def register(sub: Any) -> None:
    """Add the `backtest` sub-command."""
    parser = sub.add_parser(
        "backtest",
        help="replay CloudTrail logs and report what would have alerted",
        description="Read CloudTrail logs from S3 (s3://bucket/prefix/) or disk "
        "(AWSLogs/…/*.json.gz, "
        "recursively; plain JSON, JSON lines, EventBridge envelopes, an Athena result CSV); "
        "drop duplicate eventIDs; score every cost event in time order from a cold start.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="s3:// URLs, files, directories")
    parser.add_argument("--since", type=date.fromisoformat, help="first day (UTC), YYYY-MM-DD")
    parser.add_argument("--until", type=date.fromisoformat, help="last day (UTC), YYYY-MM-DD")
    parser.add_argument(
        "--account", action="append", default=[], type=_account, help="only this account (repeat)"
    )
    parser.add_argument("--region", action="append", default=[], help="only this region (repeat)")
    parser.add_argument(
        "--window-minutes",
        type=_whole(0, MAX_WINDOW_MINUTES),
        default=int(DEFAULT_WINDOW.total_seconds() // 60),
        help="how late a record may arrive and still be put in order (120; at most a week)",
    )
    parser.add_argument(
        "--workers",
        type=_whole(1, MAX_PARALLEL),
        default=1,
        help=f"processes scanning files (1; this machine has {os.cpu_count()} cores: see README)",
    )
    parser.add_argument(
        "--concurrency",
        type=_whole(1, MAX_PARALLEL),
        default=DEFAULT_CONCURRENCY,
        help="S3 GETs at a time (32)",
    )
    parser.add_argument(
        "--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL_S3"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--json", action="store_true", help="CostEvent lines (anomaly filled), then a summary"
    )
    parser.set_defaults(func=run)


def _options(args: argparse.Namespace, found: Highlights) -> Options:
    filters = Filters(args.since, args.until, frozenset(args.account), frozenset(args.region))
    s3 = None
    if any(p.startswith("s3://") for p in args.paths):
        import aioboto3  # the S3 path only: a local backtest does not pay for the import

        s3 = S3Reader(
            aioboto3.Session(), endpoint_url=args.endpoint_url, concurrency=args.concurrency
        )
    on_event = (lambda e: write_json(e.to_json_dict())) if args.json else found.add
    return Options(
        window=timedelta(minutes=args.window_minutes),
        workers=args.workers,
        filters=filters,
        keep=False,
        on_event=on_event,
        s3=s3,
    )


def _report_bad(result: BacktestResult) -> None:
    bad = result.collected.bad
    for item in bad[:MAX_BAD_SHOWN]:
        print(f"dd0c-cost backtest: {item.source}: {item.reason}", file=sys.stderr)
    if len(bad) > MAX_BAD_SHOWN:
        print(f"dd0c-cost backtest: … and {len(bad) - MAX_BAD_SHOWN} more", file=sys.stderr)


def _refused(args: argparse.Namespace) -> str | None:
    """Why these arguments cannot give a useful run (None when they can)."""
    if args.since and args.until and args.since > args.until:
        return f"--since {args.since} is after --until {args.until}: no day is in between"
    for path in args.paths:
        if path.startswith("s3://") and not path[len("s3://") :].split("/", 1)[0]:
            return f"{path}: an S3 URL names a bucket: s3://bucket/prefix/"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the backtest; exit 2 when the arguments are refused or nothing could be read."""
    refused = _refused(args)
    if refused is not None:
        print(f"dd0c-cost backtest: error: {refused}", file=sys.stderr)
        return 2
    found = Highlights()
    options = _options(args, found)
    with RichProgress() as progress:
        result = run_backtest(args.paths, load_catalogue(), progress=progress, options=options)
    _report_bad(result)
    summary = result.summary()
    if args.json:
        write_json(summary)
    elif sys.stdout.isatty():
        show(result, found, Console())
    else:
        sys.stdout.write(render(result, found))
    return 2 if summary["files"] == 0 else 0
