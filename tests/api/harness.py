"""The API served over real HTTP for the tests: in-process store, the real Redis (a prefix of
its own), an injected clock; every response is checked against the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openapi_schema_validator import OAS31Validator

from api import ApiServices, Authenticator, RateLimit, api_routes
from api.openapi import document
from billing import Billing, webhook_routes
from storage import Store
from storage.apikeys import Scope
from tests.redisdb import isolated_redis, unique_prefix
from tests.stores import NOW, fresh_store

SPEC = document()
_TEMPLATES = [
    (re.compile("^" + re.sub(r"{\w+}", r"[^/]+", path) + "$"), path) for path in SPEC["paths"]
]


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.now += delta


def check_against_spec(method: str, path: str, status: int, content_type: str, body: Any) -> None:
    """Fail unless the OpenAPI document describes this response and its body fits the schema."""
    template = next((tmpl for pattern, tmpl in _TEMPLATES if pattern.match(path)), None)
    assert template is not None, f"{path} is not in the OpenAPI document"
    operation = SPEC["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not in the OpenAPI document"
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {template} answered {status}, not documented"
    content = response.get("content", {})
    assert content_type in content, f"{method} {template} {status}: {content_type} not documented"
    schema = content[content_type].get("schema")
    if schema is not None:
        OAS31Validator({**schema, "components": SPEC["components"]}).validate(body)


@dataclass
class Response:
    """What the API answered."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Harness:
    """The served API and the things behind it."""

    client: TestClient[web.Request, web.Application]
    store: Store
    services: ApiServices
    clock: Clock
    redis: aioredis.Redis
    seen: list[tuple[str, str, int]] = field(default_factory=list)

    async def key(self, tenant: str, scope: Scope = "read", name: str = "ci") -> str:
        """A new key of the workspace (made as /dd0c api-key create does)."""
        await self.store.tenants.ensure(tenant, self.clock())
        made = await self.store.api_keys.create(tenant, name, scope, "U_TEST", self.clock())
        assert made is not None
        return made.secret

    async def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Response:
        """One request; its response is checked against the OpenAPI document."""
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        answer = await self.client.request(method, path, json=json, data=data, headers=sent)
        body = await answer.json(content_type=None)
        content_type = answer.headers.get("Content-Type", "").split(";")[0]
        check_against_spec(method, answer.url.path, answer.status, content_type, body)
        self.seen.append((method, answer.url.path, answer.status))
        return Response(answer.status, dict(answer.headers), body)


@asynccontextmanager
async def served_api(
    *,
    per_minute: int = 1000,
    billing: Callable[[Store, Clock], Billing] | None = None,
    configure: Callable[[ApiServices], None] | None = None,
) -> AsyncIterator[Harness]:
    """The /v1 routes (and the Stripe webhook) on a local port."""
    store = await fresh_store()
    clock = Clock()
    prefix = unique_prefix("api")
    async with isolated_redis(prefix) as redis:
        auth = Authenticator(store, RateLimit(redis, prefix, per_minute), clock)
        services = ApiServices(store, auth, clock)
        if billing is not None:
            services.billing = billing(store, clock)
        if configure is not None:
            configure(services)
        app = web.Application()
        app.add_routes(api_routes(lambda: services))
        app.add_routes(webhook_routes(lambda: services.billing))
        client = TestClient(TestServer(app, host="127.0.0.1"))
        async with client:
            yield Harness(client, store, services, clock, redis)
        await store.close()
