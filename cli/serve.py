"""`dd0c-cost serve [--port N]`: run the service (the same as `python app.py`).

Configuration comes from the environment (DESIGN.md, "Configuration"); `--port` overrides PORT.
Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT); 1 start-up failed; 2 bad configuration.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(sub: SubParsers) -> None:
    """Add the `serve` sub-command."""
    parser = sub.add_parser(
        "serve",
        help="run the service: HTTP endpoints and the SQS consumer",
        description="Serve /healthz and /readyz and consume CloudTrail events from SQS until "
        "SIGTERM or SIGINT. Settings come from environment variables (MONGODB_URI, SQS_QUEUE_URL, "
        "…); DD0C_DEV=1 runs on an in-process store.",
    )
    parser.add_argument("--port", type=int, metavar="N", help="HTTP port (overrides PORT)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; the exit code."""
    # A SIGTERM while the service's libraries load is a clean stop (app.main takes over after).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # Imported here so that the other sub-commands never load aiohttp, aioboto3 or redis.
    import app

    overrides = {"PORT": str(args.port)} if args.port is not None else {}
    return app.main(overrides)
