"""What start-up built, shared by the routes and shutdown, and the aiohttp app keys."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web
from slack_bolt.async_app import AsyncApp

from api import ApiServices
from billing import Billing
from bot.notifier import Notifier
from governance import Governance, Policy
from ingest.consumer import Consumer
from ingest.pipeline import Pipeline
from scheduler import Scheduler
from settings import Settings
from storage import Store


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
    api: ApiServices | None = None
    billing: Billing | None = None
    stopping: bool = False

    def stop_ingest(self) -> None:
        """Stop polling SQS (idempotent); batches in flight carry on and settle."""
        self.stopping = True
        if self.consumer is not None:
            self.consumer.stop()


SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", Policy)
SERVICES = web.AppKey("services", Services)
