"""Composition root: reads settings, builds clients inside the running loop, wires, serves, stops.

    python app.py            # or: dd0c-cost serve [--port N]

Start-up (aiohttp cleanup_ctx, inside the loop): store (migrations, indexes), Redis client, SQS
client, price catalogue, pipeline, consumer task. Shutdown on SIGTERM/SIGINT: stop polling at
once, close the HTTP site, let the batches in flight settle (bounded by the visibility timeout),
then close SQS, Redis and the store, and exit 0.

Nothing here does I/O at import time.
"""

from __future__ import annotations

import signal
import sys

if __name__ == "__main__":
    # `python app.py`: a SIGTERM while the libraries below load is a clean stop too; main()
    # then takes over, and the event loop's handlers after it.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

import asyncio
import contextlib
import dataclasses
import hmac
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aioboto3
import aiohttp
import redis.asyncio as aioredis
from aiobotocore.config import AioConfig
from aiohttp import web
from botocore.exceptions import ClientError
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp

from bot.app import SlackConfig
from bot.app import build as build_bolt
from bot.app import routes as slack_routes
from bot.notifier import Notifier
from bot.onboarding import Onboarding
from bot.onboarding import register as register_onboarding
from bot.poster import ChannelPoster
from bot.queries import digest as digest_summary
from bot.recipients import StoreRecipients
from bot.services import SlackServices
from governance import Governance, PanicSwitch, Policy, PolicyError, load_policy
from ingest.consumer import Consumer, ConsumerConfig
from ingest.pipeline import Pipeline
from logconfig import AccessLogger, configure_logging
from onboarding.callback import callback_routes
from onboarding.connect import CALLBACK_PATH, CallbackTokens, LinkSettings, callback_url
from onboarding.validation import aioboto3_factory, validator
from pricing import Catalogue, load_catalogue
from scheduler import JobRunner, Scheduler
from scheduler.jobs import Jobs
from settings import ConfigError, Settings, load_settings, mask_url
from storage import Store, StoreConfigError, TokenCipher, open_store
from storage.clock import utc_now as _utc_now
from storage.tenants import DEV_TENANT

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

logger = logging.getLogger("app")  # not __name__: "__main__" under `python app.py`

CHECK_TIMEOUT = 2.0
REDIS_TIMEOUT = 2.0
HTTP_SHUTDOWN_TIMEOUT = 5.0
NOTIFIER_SHUTDOWN_TIMEOUT = 10.0
SCHEDULER_SHUTDOWN_TIMEOUT = 5.0
ZOMBIE_SCAN_EVERY = timedelta(days=6)  # the weekly job scans every account a week older
# Share of the visibility timeout that shutdown waits for batches in flight: past the timeout
# SQS hands their messages out again anyway, and the rest of the budget closes the clients.
DRAIN_SHARE = 0.8
MAX_POLL_WAIT = 20


@dataclass
class Services:
    """Everything start-up built, for the handlers and for shutdown."""

    store: Store
    redis: aioredis.Redis
    pipeline: Pipeline
    governance: Governance
    consumer: Consumer | None = None
    consumer_task: asyncio.Task[None] | None = None
    bolt: AsyncApp | None = None
    notifier: Notifier | None = None
    callback: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
    scheduler: Scheduler | None = None
    stopping: bool = False

    def stop_ingest(self) -> None:
        """Stop polling SQS (idempotent); batches in flight carry on and settle."""
        self.stopping = True
        if self.consumer is not None:
            self.consumer.stop()


SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", Policy)
SERVICES = web.AppKey("services", Services)


# --- start-up and shutdown -----------------------------------------------------------------


def build_app(settings: Settings) -> web.Application:
    """The aiohttp application: routes, and a cleanup context that owns every client.

    policy.json is read and validated here: a bad one raises PolicyError (one line).
    """
    # The access log without query values: /slack/oauth_redirect carries the OAuth code.
    app = web.Application(handler_args={"access_log_class": AccessLogger})
    app[SETTINGS] = settings
    app[POLICY] = load_policy(settings.policy_file)
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if settings.slack_enabled:

        def current_bolt() -> AsyncApp | None:
            services = app.get(SERVICES)
            return services.bolt if services is not None else None

        app.add_routes(slack_routes(current_bolt))

        async def onboarding_callback(request: web.Request) -> web.StreamResponse:
            services = app.get(SERVICES)
            if services is None or services.callback is None:
                raise web.HTTPServiceUnavailable(text="starting up")
            return await services.callback(request)

        app.router.add_post(CALLBACK_PATH, onboarding_callback)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Build every client inside the running loop; close them all, in reverse, on cleanup."""
    settings = app[SETTINGS]
    async with contextlib.AsyncExitStack() as stack:
        store = await _open_store(settings, stack)
        redis = aioredis.from_url(
            settings.redis_url.get_secret_value(),
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        stack.push_async_callback(redis.aclose)
        catalogue = await asyncio.to_thread(load_catalogue)
        policy = app[POLICY]
        switch = PanicSwitch(redis, settings.redis_prefix, policy_panic=policy.panic_mode)
        governance = Governance(store, switch, policy, _utc_now)
        notifier = _slack(settings, store, governance, stack)
        pipeline = Pipeline(
            store,
            catalogue,
            auto_attach_tenant=DEV_TENANT if settings.dev else None,
            on_anomaly=notifier[1].wake if notifier else None,
        )
        services = Services(store=store, redis=redis, pipeline=pipeline, governance=governance)
        if notifier is not None:
            services.bolt, services.notifier, slack = notifier
            services.callback, onboarding = _onboarding(settings, store, catalogue, slack)
            jobs = Jobs(
                store,
                governance,
                ChannelPoster(slack, settings.slack_api_url),
                _utc_now,
                digest_summary,
                scan_due=lambda: onboarding.scan_due(ZOMBIE_SCAN_EVERY),
            )
            runner = JobRunner(redis, settings.redis_prefix, _utc_now)
            services.scheduler = await _start_scheduler(Scheduler(runner, jobs.build()), stack)
        app[SERVICES] = services
        await _start_consumer(settings, services, stack)
        logger.info("started", extra={"settings": settings.describe(), "store": store.kind})
        yield
        services.stop_ingest()
    logger.info("stopped")


def _slack(
    settings: Settings, store: Store, governance: Governance, stack: contextlib.AsyncExitStack
) -> tuple[AsyncApp, Notifier, SlackServices] | None:
    """The Bolt app and the notifier task, when the Slack credentials are set."""
    if not settings.slack_enabled:
        logger.warning("Slack credentials not set (DD0C_DEV=1): no Slack app, no alerts posted")
        return None
    assert settings.slack_client_id and settings.slack_client_secret
    assert settings.slack_signing_secret
    services = SlackServices(store, governance=governance)
    config = SlackConfig(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        api_url=settings.slack_api_url,
    )
    session = aiohttp.ClientSession()  # one connection pool for every alert posted
    stack.push_async_callback(session.close)  # closed after the notifier has stopped
    notifier = Notifier(
        store,
        StoreRecipients(services),
        api_url=settings.slack_api_url,
        gate=governance,
        session=session,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(notifier.run(stop), name="slack-notifier")

    async def stop_notifier() -> None:
        stop.set()
        notifier.wake()
        await asyncio.wait({task}, timeout=NOTIFIER_SHUTDOWN_TIMEOUT)
        if not task.done():
            task.cancel()
            await asyncio.wait({task})

    stack.push_async_callback(stop_notifier)
    services.bolt = build_bolt(config, services)
    return services.bolt, notifier, services


def _onboarding(
    settings: Settings, store: Store, catalogue: Catalogue, slack: SlackServices
) -> tuple[Callable[[web.Request], Awaitable[web.StreamResponse]], Onboarding]:
    """The connect flow in Slack and the stack callback's handler."""
    assert settings.token_key is not None  # Slack is enabled only with a token key
    tokens = CallbackTokens.from_setting(settings.token_key.get_secret_value())
    factory = aioboto3_factory(aioboto3.Session(), endpoint_url=settings.aws_endpoint_url)
    validate = validator(factory, _utc_now)
    link = None
    if settings.onboarding_enabled:
        assert settings.template_url and settings.event_bus_arn and settings.public_url
        link = LinkSettings(
            template_url=settings.template_url,
            event_bus_arn=settings.event_bus_arn,
            callback_url=callback_url(settings.public_url),
            region=settings.aws_region,
        )
    onboarding = Onboarding(
        slack,
        catalogue,
        validate,
        tokens,
        settings.slack_api_url,
        link=link,
        endpoint_url=settings.aws_endpoint_url,
    )
    slack.onboarding = onboarding
    assert slack.bolt is not None
    register_onboarding(slack.bolt, onboarding)
    (route,) = callback_routes(store, validate, onboarding.connected, now=_utc_now, tokens=tokens)
    return route.handler, onboarding


async def _start_scheduler(scheduler: Scheduler, stack: contextlib.AsyncExitStack) -> Scheduler:
    """Start the timed jobs (a missed period runs once now); stopped first on shutdown."""
    await scheduler.start()
    stack.push_async_callback(scheduler.stop, SCHEDULER_SHUTDOWN_TIMEOUT)
    return scheduler


async def _open_store(settings: Settings, stack: contextlib.AsyncExitStack) -> Store:
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    key = settings.token_key.get_secret_value() if settings.token_key else None
    cipher = TokenCipher.from_setting(key) if key else None
    store = open_store(uri, dev=settings.dev, cipher=cipher)
    stack.push_async_callback(store.close)
    if store.kind == "in-process":
        logger.warning("DD0C_DEV=1: in-process store, nothing survives a restart")
    now = datetime.now(UTC)
    applied = await store.start(now)
    if applied:
        logger.info("migrations applied", extra={"migrations": applied})
    if settings.dev:
        await store.tenants.ensure(DEV_TENANT, now)
    return store


async def _start_consumer(
    settings: Settings, services: Services, stack: contextlib.AsyncExitStack
) -> None:
    if settings.sqs_queue_url is None:
        logger.warning("DD0C_DEV=1 without SQS_QUEUE_URL: no SQS consumer, nothing is ingested")
        return
    sqs: SQSClient = await stack.enter_async_context(
        aioboto3.Session().client(
            "sqs",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url or None,
            config=AioConfig(
                connect_timeout=5,
                read_timeout=30,  # above the 20 s long poll
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
    )
    consumer = Consumer(
        sqs,
        services.pipeline,
        ConsumerConfig(
            queue_url=settings.sqs_queue_url,
            pollers=settings.pollers,
            visibility_timeout=settings.visibility_timeout,
            wait_seconds=_poll_wait(settings.visibility_timeout),
        ),
    )
    task = asyncio.create_task(consumer.run(), name="sqs-consumer")
    task.add_done_callback(_report_consumer_end)
    services.consumer, services.consumer_task = consumer, task
    # Registered after the SQS client, so it runs first: drain, then close the client.
    stack.push_async_callback(_drain, services, DRAIN_SHARE * settings.visibility_timeout)


def _poll_wait(visibility_timeout: int) -> int:
    """The long poll's wait: 20 s, or less so a stop (which lets it end) fits the drain bound."""
    return max(1, min(MAX_POLL_WAIT, int(DRAIN_SHARE * visibility_timeout / 2)))


def _report_consumer_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("SQS consumer failed", exc_info=task.exception())


async def _drain(services: Services, bound: float) -> None:
    """Stop polling and wait, up to `bound` seconds, for the batches in flight to settle."""
    services.stop_ingest()
    task = services.consumer_task
    if task is None:
        return
    done, _ = await asyncio.wait({task}, timeout=bound)
    if not done:
        logger.warning("batches still in flight after %.0f s; abandoning them", bound)
        task.cancel()
        await asyncio.wait({task})


# --- routes --------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    """The process is alive (no dependency is checked)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """MongoDB, Redis and SQS answer (checked concurrently). Anyone sees ready or not and the
    failing dependencies' names; the operator (`Authorization: Bearer $DD0C_OPS_TOKEN`) also
    sees each check's answer and the ingest counters."""
    settings, services = request.app[SETTINGS], request.app.get(SERVICES)
    if services is None:
        return web.json_response({"ready": False, "failing": ["start-up"]}, status=503)
    names = ("mongodb", "redis", "sqs")
    results = await asyncio.gather(
        _check(services.store.ping, _store_target(settings, services.store)),
        _check(services.redis.ping, mask_url(settings.redis_url.get_secret_value())),
        _check_sqs(settings, services),
    )
    checks = dict(zip(names, results, strict=True))
    failing = [name for name, result in checks.items() if result not in ("ok", "not configured")]
    body: dict[str, Any] = {"ready": not failing, "failing": failing}
    if is_operator(request, settings.ops_token):
        body |= {"checks": checks, "ingest": _ingest_stats(services)}
    return web.json_response(body, status=503 if failing else 200)


def is_operator(request: web.Request, token: SecretStr | None) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (never true when unset)."""
    if token is None:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    expected = token.get_secret_value().encode()
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected)


async def _check(probe: Callable[[], Awaitable[Any]], target: str) -> str:
    """'ok', or what is wrong with `target` (exception type or AWS error code, never text)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await probe()
    except TimeoutError:
        return f"timed out after {CHECK_TIMEOUT:g} s: {target}"
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", type(exc).__name__)
        return f"error: {target} ({code})"
    except Exception as exc:
        return f"unreachable: {target} ({type(exc).__name__})"
    return "ok"


async def _check_sqs(settings: Settings, services: Services) -> str:
    consumer, task = services.consumer, services.consumer_task
    if consumer is None or task is None:
        return "not configured"
    target = settings.sqs_queue_url or ""
    if services.stopping:
        return f"stopping: {target}"
    if task.done():
        return f"consumer stopped: {target}"
    return await _check(consumer.ping, target)


def _store_target(settings: Settings, store: Store) -> str:
    if store.kind == "in-process" or settings.mongodb_uri is None:
        return "in-process"
    return mask_url(settings.mongodb_uri.get_secret_value())


def _ingest_stats(services: Services) -> dict[str, Any]:
    consumer = services.consumer
    return {
        "consumer": dataclasses.asdict(consumer.stats) if consumer else None,
        "pipeline": dataclasses.asdict(services.pipeline.stats),
    }


# --- running -------------------------------------------------------------------------------


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
        return run(settings)
    except _Stopped:
        return 0
    except (ConfigError, StoreConfigError, PolicyError) as exc:
        print(f"dd0c-cost: {exc}", file=sys.stderr)
        return 2
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
