"""The `dd0c-cost` command line: one sub-command a module, each exposing `register(subparsers)`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import alerts, athena_sql, backtest, manifest, normalize, price, serve


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="dd0c-cost",
        description="Real-time AWS cost anomaly detection from CloudTrail.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (alerts, athena_sql, backtest, manifest, normalize, price, serve):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dd0c-cost` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        # `dd0c-cost … | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return 0
    return code
