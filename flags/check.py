"""`python -m flags.check [PATH]`: validate flags.json; exit 1 naming every expired flag that is
still fully on (run by the test suite, so by `make test`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from flags.definitions import DEFAULT_PATH, FlagsError, expired_fully_on, load_flags


def main(argv: Sequence[str] | None = None, today: date | None = None) -> int:
    """Validate flags.json and fail on an expired flag still fully on (CI)."""
    parser = argparse.ArgumentParser(prog="python -m flags.check", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    try:
        flags = load_flags(args.path)
    except FlagsError as exc:
        print(exc, file=sys.stderr)
        return 1
    problems = expired_fully_on(flags, today or date.today())
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"flags.json: ok ({len(flags.flags)} flags)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
