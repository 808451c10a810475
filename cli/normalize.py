"""`dd0c-cost normalize FILE… [--all] [--json]`: CloudTrail records -> priced CostEvents."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli._output import money, write_json
from cli.report import actor_of
from engine import CostEvent, Inventory, Skipped, normalize_record
from ingest.logfiles import BadInput, discover, read_records
from pricing import Catalogue, load_catalogue


def register(sub: Any) -> None:
    """Add the `normalize` sub-command."""
    parser = sub.add_parser(
        "normalize",
        help="turn CloudTrail records into priced cost events",
        description="Read CloudTrail records (log files, JSON lines, EventBridge envelopes; "
        "'-' for stdin) and print the cost events they contain.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="files or directories, or -")
    parser.add_argument("--all", action="store_true", help="also print skipped records and why")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run)


def _line(result: CostEvent | Skipped) -> str:
    if isinstance(result, Skipped):
        return f"skipped  {result.event_name or '?'}  {result.event_id or '-'}  {result.reason}"
    size = f"{result.size} ×{result.quantity}" if result.size else f"×{result.quantity}"
    note = f"  ({result.cost_note})" if result.cost_note else ""
    return (
        f"{result.event_time:%Y-%m-%d %H:%M:%S}  {result.account_id}  {result.region}  "
        f"{result.action:<9} {result.resource_type}  {size}  "
        f"{money(result.estimated_hourly_cost)}  {actor_of(result)}{note}"
    )


def _emit(result: CostEvent | Skipped, as_json: bool) -> None:
    if as_json:
        if isinstance(result, CostEvent):
            write_json(result.to_json_dict())
        else:
            write_json(result.model_dump(mode="json", by_alias=True))
    else:
        print(_line(result))


def _bad(bad: BadInput, show: bool, as_json: bool) -> None:
    if not show:
        return
    skipped = Skipped(event_id=None, event_name=None, reason=bad.reason, malformed=True)
    if as_json:
        write_json({**skipped.model_dump(mode="json", by_alias=True), "source": bad.source})
    else:
        print(f"skipped  {bad.source}  {bad.reason}")


def _one_file(path: Any, catalogue: Catalogue, inventory: Inventory, args: Any) -> int:
    bad = 0
    for raw in read_records(path):
        if isinstance(raw, BadInput):
            bad += 1
            _bad(raw, args.all, args.json)
            continue
        result = normalize_record(raw, catalogue, inventory)
        if isinstance(result, CostEvent):
            inventory.remember(result)
            _emit(result, args.json)
        elif args.all:
            _emit(result, args.json)
    return bad


def run(args: argparse.Namespace) -> int:
    """Print the cost events in the given files; exit 2 if any input could not be read."""
    files, missing = discover(args.files)
    for item in missing:
        print(f"dd0c-cost normalize: {item.source}: {item.reason}", file=sys.stderr)
    catalogue = load_catalogue()
    inventory = Inventory()
    bad = sum(_one_file(path, catalogue, inventory, args) for path in files)
    return 2 if missing or bad else 0
