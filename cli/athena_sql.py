"""`dd0c-cost athena-sql --since D --until D [--table T] [--projected]`: print the Athena query
that selects exactly the supported cost events; `dd0c-cost backtest RESULT.csv` (or its
s3:// output location) scores its result."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from typing import Any

from ingest.athena import DEFAULT_TABLE, sql

_NAME = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?", re.ASCII)


def _table(text: str) -> str:
    """An Athena table name as the query can hold it unquoted: [database.]table."""
    if _NAME.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(
            f"a table is [database.]table in letters, digits and underscores, not {text!r}"
        )
    return text


def register(sub: Any) -> None:
    """Add the `athena-sql` sub-command."""
    parser = sub.add_parser(
        "athena-sql",
        help="print the Athena query selecting the cost events (organisation-sized trails)",
        description="Print a query over the standard CloudTrail Athena table that selects exactly "
        "the cost events dd0c-cost scores. Run it in Athena, then: dd0c-cost backtest "
        "s3://<output-location>/<query-id>.csv",
    )
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--until", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument(
        "--table", type=_table, default=DEFAULT_TABLE, help=f"[database.]table ({DEFAULT_TABLE})"
    )
    parser.add_argument(
        "--projected",
        action="store_true",
        help='the table is partition-projected on "timestamp" (yyyy/MM/dd)',
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the query; exit 2 when the range is empty."""
    if args.until < args.since:
        print("dd0c-cost athena-sql: --until is before --since", file=sys.stderr)
        return 2
    if args.until >= date.max:  # the query ends at the start of the day after --until
        print(f"dd0c-cost athena-sql: --until must be before {date.max}", file=sys.stderr)
        return 2
    sys.stdout.write(sql(args.since, args.until, args.table, args.projected))
    return 0
