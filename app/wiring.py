"""The one wiring step: every dependency built once, inside the running loop, and closed in
reverse on cleanup (aiohttp cleanup_ctx)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aioboto3
import aiohttp
import redis.asyncio as aioredis
from aiobotocore.config import AioConfig
from aiohttp import web
from slack_bolt.async_app import AsyncApp

from app import api_edge
from app.health import healthz, readyz
from app.services import POLICY, SERVICES, SETTINGS, Services
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
from flags import Switches
from flags.breaker import Breaker
from governance import Governance, PanicSwitch, load_policy
from ingest.consumer import Consumer, ConsumerConfig
from ingest.pipeline import Pipeline
from logconfig import AccessLogger
from onboarding.callback import callback_routes
from onboarding.connect import CALLBACK_PATH, CallbackTokens, LinkSettings, callback_url
from onboarding.validation import aioboto3_factory, validator
from pricing import Catalogue, load_catalogue
from scheduler import JobRunner, Scheduler
from scheduler.coverage import CoverageJob, assumed_role_check
from scheduler.jobs import Jobs
from settings import Settings
from storage import Store, TokenCipher, open_store
from storage.clock import utc_now as _utc_now
from storage.tenants import DEV_TENANT
from telemetry import Metrics, Tracing, start_tracing
from usage.service import UsageService

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 2.0
NOTIFIER_SHUTDOWN_TIMEOUT = 10.0
SCHEDULER_SHUTDOWN_TIMEOUT = 5.0
ZOMBIE_SCAN_EVERY = timedelta(days=6)  # the weekly job scans every account a week older
# Share of the visibility timeout that shutdown waits for batches in flight: past the timeout
# SQS hands their messages out again anyway, and the rest of the budget closes the clients.
DRAIN_SHARE = 0.8
MAX_POLL_WAIT = 20
METRICS_EVERY = 60.0  # seconds between EMF flushes (CloudWatch's finest standard resolution)


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
    app.add_routes(api_edge.routes(app))  # /v1 (API keys) and the Stripe webhook
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
        metrics = _start_metrics(stack)
        breaker = Breaker(redis, settings.redis_prefix, _utc_now)
        switches = await _start_switches(settings, stack, breaker)
        governance = Governance(
            store, switch, policy, _utc_now, breaker=breaker, switches=switches, metrics=metrics
        )
        tracing = _start_tracing(settings, stack)
        slack = _slack(settings, store, governance, stack, metrics)
        pipeline = Pipeline(
            store,
            catalogue,
            auto_attach_tenant=DEV_TENANT if settings.dev else None,
            on_anomaly=slack[0].wake if slack else None,
            metrics=metrics,
            switches=switches,
            tracing=tracing,
        )
        edge = await _edge(settings, store, redis, catalogue, governance, slack, stack)
        services = Services(
            store=store,
            redis=redis,
            pipeline=pipeline,
            governance=governance,
            bolt=edge.bolt if edge else None,
            notifier=slack[0] if slack else None,
            callback=edge.callback if edge else None,
            scheduler=edge.scheduler if edge else None,
        )
        announce = ChannelPoster(slack[1], settings.slack_api_url).post if slack else None
        services.billing = api_edge.build_billing(settings, store, announce, stack)
        services.api = api_edge.build_api(settings, store, redis, services.billing)
        if slack:
            slack[1].billing = services.billing  # /dd0c upgrade, quantity on connect
        app[SERVICES] = services
        await _start_consumer(settings, services, stack)
        logger.info("started", extra={"settings": settings.describe(), "store": store.kind})
        yield
        services.stop_ingest()
    logger.info("stopped")


def _start_metrics(stack: contextlib.AsyncExitStack) -> Metrics:
    """The metrics, flushed as EMF lines on stdout every minute and once more at shutdown."""
    metrics = Metrics(_utc_now)

    async def flush_every_minute() -> None:
        while True:
            await asyncio.sleep(METRICS_EVERY)
            metrics.flush()

    task = asyncio.create_task(flush_every_minute(), name="metrics-flush")

    async def stop() -> None:
        task.cancel()
        await asyncio.wait({task})
        metrics.flush()

    stack.push_async_callback(stop)
    return metrics


async def _start_switches(
    settings: Settings, stack: contextlib.AsyncExitStack, breaker: Breaker
) -> Switches:
    """flags.json through OpenFeature (local file, watched), with the breakers' overrides."""
    switches = Switches(Path(settings.flags_file), breaker=breaker.open_flags)
    await asyncio.to_thread(switches.start)
    stack.callback(switches.shutdown)
    return switches


def _start_tracing(settings: Settings, stack: contextlib.AsyncExitStack) -> Tracing | None:
    """Scoring spans over OTLP/HTTP when an endpoint is set (the OTEL_* variables)."""
    if settings.telemetry_hash_key is None:
        return None
    tracing = start_tracing(settings.telemetry_hash_key.get_secret_value().encode())
    if tracing is not None:
        stack.callback(tracing.shutdown)  # bounded by the exporter's 2 s timeout
        logger.info("scoring spans exported over OTLP/HTTP")
    return tracing


def _slack(
    settings: Settings,
    store: Store,
    governance: Governance,
    stack: contextlib.AsyncExitStack,
    metrics: Metrics | None = None,
) -> tuple[Notifier, SlackServices, SlackConfig] | None:
    """The listeners' services and the notifier task, when the Slack credentials are set."""
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
        metrics=metrics,
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
    return notifier, services, config


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
    slack.onboarding = onboarding  # the one field set after construction: it holds `slack`

    async def disconnected(tenant_id: str, account_id: str, problem: object) -> None:
        if slack.billing is not None:  # a stack deleted on Pro: one account fewer billed
            await slack.billing.sync_quantity_quietly(tenant_id)

    (route,) = callback_routes(
        store,
        validate,
        onboarding.connected,
        now=_utc_now,
        tokens=tokens,
        on_disconnected=disconnected,
    )
    return route.handler, onboarding


@dataclass(frozen=True, slots=True)
class _Edge:
    """The Slack app, the stack callback's handler and the scheduler (Slack enabled only)."""

    bolt: AsyncApp
    callback: Callable[[web.Request], Awaitable[web.StreamResponse]]
    scheduler: Scheduler


async def _edge(
    settings: Settings,
    store: Store,
    redis: aioredis.Redis,
    catalogue: Catalogue,
    governance: Governance,
    slack: tuple[Notifier, SlackServices, SlackConfig] | None,
    stack: contextlib.AsyncExitStack,
) -> _Edge | None:
    """Onboarding, then the Bolt app with every listener (onboarding's too), then the jobs."""
    if slack is None:
        return None
    notifier, services, config = slack
    callback, onboarding = _onboarding(settings, store, catalogue, services)
    usage = UsageService(
        store, catalogue, _utc_now, endpoint_url=settings.aws_endpoint_url, wake=notifier.wake
    )
    bolt = build_bolt(config, services, extra=[lambda app: register_onboarding(app, onboarding)])
    jobs = Jobs(
        store,
        governance,
        ChannelPoster(services, settings.slack_api_url),
        _utc_now,
        digest_summary,
        scan_due=lambda: onboarding.scan_due(ZOMBIE_SCAN_EVERY),
        coverage=_coverage_job(settings, store, services).run,
        usage_watch=usage.watch_all if settings.usage_watch else None,
        reconcile=usage.reconcile_all if settings.reconcile else None,
    )
    runner = JobRunner(redis, settings.redis_prefix, _utc_now)
    scheduler = await _start_scheduler(Scheduler(runner, jobs.build()), stack)
    return _Edge(bolt, callback, scheduler)


def _coverage_job(settings: Settings, store: Store, services: SlackServices) -> CoverageJob:
    """The daily forwarding-coverage check (issue 12), through each account's read-only role."""
    return CoverageJob(
        store,
        ChannelPoster(services, settings.slack_api_url),
        _utc_now,
        assumed_role_check(store, _utc_now, settings.aws_endpoint_url or None),
        template_url=settings.template_url,
    )


async def _start_scheduler(scheduler: Scheduler, stack: contextlib.AsyncExitStack) -> Scheduler:
    """Start the timed jobs (a missed period runs once now); stopped first on shutdown."""
    await scheduler.start()
    stack.push_async_callback(scheduler.stop, SCHEDULER_SHUTDOWN_TIMEOUT)
    return scheduler


async def _open_store(settings: Settings, stack: contextlib.AsyncExitStack) -> Store:
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    key = settings.token_key.get_secret_value() if settings.token_key else None
    cipher = TokenCipher.from_setting(key) if key else None
    # API keys are hashed under the first DD0C_TOKEN_KEY key (rotating it retires the keys).
    api_key_secret = key.split(",")[0].strip().encode("utf-8") if key else None
    store = open_store(uri, dev=settings.dev, cipher=cipher, api_key_secret=api_key_secret)
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
