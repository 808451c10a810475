"""Running the process: logging, signals, start-up (cancelled by a signal), serving, shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from app.services import SERVICES
from app.wiring import build_app
from flags import FlagsError
from flags.switches import validate as validate_flags
from governance import PolicyError, load_policy
from logconfig import configure_logging
from settings import ConfigError, Settings, load_settings
from storage import StoreConfigError

logger = logging.getLogger(__name__)

HTTP_SHUTDOWN_TIMEOUT = 5.0


SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stopped(Exception):
    """SIGTERM or SIGINT before the event loop's own handlers were in place."""


def _stop_early(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def run(settings: Settings) -> int:
    """Serve on 0.0.0.0:PORT until SIGTERM/SIGINT, then shut down cleanly; the exit code."""
    configure_logging(settings.log_level, settings.log_level_third_party)
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    app = build_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=HTTP_SHUTDOWN_TIMEOUT)
    try:
        failed = await _setup(runner, stop)
        if failed is not None:
            return failed
        try:
            return await _listen_until(stop, runner, settings.port)
        finally:
            await runner.cleanup()
    finally:
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)
            signal.signal(signum, _stop_early)  # while asyncio.run winds down


async def _listen_until(stop: asyncio.Event, runner: web.AppRunner, port: int) -> int:
    """Serve HTTP until `stop` is set, then stop polling SQS first; the exit code."""
    if not stop.is_set():
        try:
            await web.TCPSite(runner, "0.0.0.0", port).start()
        except OSError as exc:
            logger.error("cannot listen on port %d: %s", port, exc.strerror or exc)
            return 1
        logger.info("serving", extra={"port": port})
        await stop.wait()
    logger.info("signal received: stopping")
    runner.app[SERVICES].stop_ingest()
    return 0


async def _setup(runner: web.AppRunner, stop: asyncio.Event) -> int | None:
    """Run start-up, cancelled when `stop` is set first (what it built so far is closed).

    None when it finished; else the exit code: 0 stopped by a signal, 1 failed (logged).
    """
    setup = asyncio.create_task(runner.setup(), name="start-up")
    stopped = asyncio.create_task(stop.wait(), name="start-up-signal")
    try:
        await asyncio.wait({setup, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    setup.cancel()  # no-op when it has finished
    try:
        await setup
    except asyncio.CancelledError:
        if not stop.is_set():
            raise  # _serve itself was cancelled
        logger.info("signal received during start-up: stopped")
        return 0
    except StoreConfigError:
        raise
    except Exception as exc:
        logger.exception("start-up failed (%s)", type(exc).__name__)
        return 1
    return None


def main(overrides: Mapping[str, str] | None = None) -> int:
    """Load settings from the environment (plus `overrides`) and serve; the exit code.

    SIGTERM/SIGINT at any point, start-up included, end it cleanly with 0.
    """
    previous = {signum: signal.signal(signum, _stop_early) for signum in SIGNALS}
    try:
        settings = load_settings({**os.environ, **(overrides or {})})
        load_policy(settings.policy_file)  # a bad policy.json stops here, in one line
        validate_flags(Path(settings.flags_file))  # and so does a bad flags.json
        return run(settings)
    except _Stopped:
        return 0
    except (ConfigError, StoreConfigError, PolicyError, FlagsError) as exc:
        print(f"dd0c-cost: {exc}", file=sys.stderr)
        return 2
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
