"""The service: composition root, health routes and the process around them.

    python app.py            # or: dd0c-cost serve [--port N]

`wiring` builds every dependency once, inside the running loop (aiohttp cleanup_ctx): store
(migrations, indexes), Redis, governance (policy.json, panic keys), the Slack app with the
notifier and onboarding, the scheduler and its jobs, SQS client, price catalogue, pipeline and
consumer; and closes them all in reverse. `health` serves /healthz and /readyz. `serve` runs the
process: logging (logconfig/), signals, start-up, shutdown (SIGTERM/SIGINT: stop polling at once,
close the HTTP site, let the batches in flight settle, then close the clients, exit 0).

Nothing here does I/O at import time.
"""

from __future__ import annotations

from app.health import healthz, is_operator, readyz
from app.serve import main, run
from app.services import POLICY, SERVICES, SETTINGS, Services
from app.wiring import build_app
from logconfig import JsonFormatter, configure_logging

__all__ = [
    "POLICY",
    "SERVICES",
    "SETTINGS",
    "JsonFormatter",
    "Services",
    "build_app",
    "configure_logging",
    "healthz",
    "is_operator",
    "main",
    "readyz",
    "run",
]
