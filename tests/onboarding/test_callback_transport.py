"""POST /onboarding/callback over a raw socket: a body in two TCP writes is read whole, an oversized
one (even chunked, without Content-Length) is a 413, and no body at all gets a 5xx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.callback import MAX_BODY, callback_routes
from onboarding.validation import validator
from storage import Store
from tests.onboarding.test_callback import PATH, STACK, TOKENS, Hooks
from tests.onboarding.test_connect import TENANT, Customer, customer
from tests.stores import NOW, fresh_store


@dataclass
class Served:
    """The callback route behind a wrapper that says when a request reached it."""

    client: TestClient[web.Request, web.Application]
    store: Store
    hooks: Hooks
    acct: Customer
    entered: asyncio.Event

    def body(self, **changes: Any) -> bytes:
        """A valid create from the customer's stack, as JSON bytes."""
        body = {
            "event": "create",
            "accountId": self.acct.account_id,
            "roleArn": self.acct.role_arn,
            "externalId": self.acct.external_id,
            "tenantToken": TOKENS.token_for(TENANT),
            "stackId": STACK.format(account=self.acct.account_id),
            "region": "us-east-1",
            **changes,
        }
        return json.dumps(body).encode()

    async def raw(self, head: bytes, *parts: bytes) -> int:
        """Send `head` and the first part; each further part only once the handler has started
        reading (so it cannot be buffered yet); the status of the answer."""
        server = self.client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(head + parts[0])
            await writer.drain()
            for part in parts[1:]:
                await self.entered.wait()
                for _ in range(10):  # let the handler consume what is buffered and wait
                    await asyncio.sleep(0)
                writer.write(part)
                await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), timeout=30)
        finally:
            writer.close()
            await writer.wait_closed()
        return int(status_line.split()[1])


def head(length: int | None) -> bytes:
    """Request line and headers; chunked transfer when `length` is None."""
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\nConnection: close\r\n\r\n"
    ).encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.fixture
async def served(moto_endpoint: str) -> AsyncIterator[Served]:
    """Tenant T0001 with its ExternalId, a customer role trusting it, the wrapped route."""
    store = await fresh_store()
    await store.tenants.ensure(TENANT, NOW, "Acme")
    external_id = await store.tenants.ensure_external_id(TENANT, NOW)
    assert external_id is not None
    acct = await customer(moto_endpoint, external_id)
    hooks = Hooks()
    [route] = callback_routes(
        store,
        validator(acct.faults(), lambda: NOW),
        hooks.on_connected,
        now=lambda: NOW,
        tokens=TOKENS,
    )
    entered = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        entered.set()
        return await route.handler(request)

    app = web.Application()
    app.router.add_post(PATH, handler)
    async with TestClient(TestServer(app)) as client:
        yield Served(client, store, hooks, acct, entered)
    await store.close()


@pytest.mark.slow  # raw HTTP against the route, role checks on moto
async def test_a_body_in_two_writes_is_read_whole(served: Served) -> None:
    body = served.body()
    half = len(body) // 2
    assert await served.raw(head(len(body)), body[:half], body[half:]) == 200
    account = await served.store.accounts.get(TENANT, served.acct.account_id)
    assert account is not None and account.status == "active"


@pytest.mark.slow  # raw HTTP against the route, role checks on moto
async def test_a_chunked_body_in_three_writes_is_read_whole(served: Served) -> None:
    body = served.body()
    third = len(body) // 3
    parts = [
        chunk(body[:third]),
        chunk(body[third : 2 * third]),
        chunk(body[2 * third :]) + b"0\r\n\r\n",
    ]
    assert await served.raw(head(None), *parts) == 200


@pytest.mark.slow  # raw HTTP against the route, role checks on moto
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_limit_is_413(served: Served, chunked: bool) -> None:
    body = served.body(padding="x" * MAX_BODY)
    if chunked:
        half = len(body) // 2
        status = await served.raw(head(None), chunk(body[:half]), chunk(body[half:]) + b"0\r\n\r\n")
    else:
        status = await served.raw(head(len(body)), body)
    assert status == 413
    assert await served.store.accounts.get(TENANT, served.acct.account_id) is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_FIELDS = ("event", "accountId", "roleArn", "externalId", "tenantToken", "stackId", "region")


@pytest.mark.slow  # raw HTTP against the route, role checks on moto
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_body_gets_a_5xx(served: Served, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "json", "field", "deep"]))
    if kind == "bytes":
        body = data.draw(st.binary(max_size=300))
    elif kind == "json":
        body = json.dumps(data.draw(_json)).encode()
    elif kind == "deep":
        depth = data.draw(st.integers(1, 50_000))
        body = b"[" * depth + b"]" * depth
    else:
        changed = {data.draw(st.sampled_from(_FIELDS)): data.draw(_json)}
        body = served.body(**changed)
    answer = await served.client.post(PATH, data=body, headers={"Content-Type": "application/json"})
    assert answer.status < 500
