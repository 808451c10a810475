"""A fake Stripe API over real HTTP on 127.0.0.1 (port 0), for the stripe SDK's `api` base
address, and Stripe's real webhook signature scheme for the tests' events.

It answers the calls billing makes: create a Checkout session, read a subscription, change a
subscription item's quantity. Every request is recorded (path, form fields flattened the way
the SDK encodes them: `line_items[0][price]`). A request with another API key gets Stripe's 401;
`fail_with` makes every call answer that status (Stripe's error body).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class StripeCall:
    """One request the fake received."""

    method: str
    path: str
    form: dict[str, str]


@dataclass
class FakeStripe:
    """The fake's state: its API key, subscriptions, and every call."""

    api_key: str = "sk_test_fake_0123456789"
    calls: list[StripeCall] = field(default_factory=list)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_with: int | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: TestServer | None = None

    @property
    def url(self) -> str:
        """The base address to give the SDK."""
        assert self._server is not None, "start() first"
        return str(self._server.make_url("")).rstrip("/")

    def add_subscription(self, sub_id: str, quantity: int, status: str = "active") -> str:
        """A subscription with one item; the item's id."""
        item = f"si_{sub_id}"
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "object": "subscription",
            "status": status,
            "items": {
                "object": "list",
                "data": [{"id": item, "object": "subscription_item", "quantity": quantity}],
            },
        }
        return item

    def quantity(self, sub_id: str) -> int:
        """The subscription's item quantity now."""
        return int(self.subscriptions[sub_id]["items"]["data"][0]["quantity"])

    def calls_to(self, method: str, prefix: str) -> list[StripeCall]:
        """The calls of `method` whose path starts with `prefix`."""
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    async def start(self) -> None:
        """Serve on 127.0.0.1, a free port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()

    async def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            await self._server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl(await request.text(), keep_blank_values=True))
        self.calls.append(StripeCall(request.method, request.path, form))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "authentication_error", "Invalid API Key provided")
        if self.fail_with is not None:
            return _error(self.fail_with, "api_error", "fake outage")
        return self._answer(request.method, request.path, form)

    def _answer(self, method: str, path: str, form: dict[str, str]) -> web.Response:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._session(form)
        if method == "GET" and parts[:2] == ["v1", "subscriptions"] and len(parts) == 3:
            sub = self.subscriptions.get(parts[2])
            return (
                web.json_response(sub)
                if sub
                else _error(404, "invalid_request_error", "No such subscription")
            )
        if method == "POST" and parts[:2] == ["v1", "subscription_items"] and len(parts) == 3:
            return self._item(parts[2], form)
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _session(self, form: dict[str, str]) -> web.Response:
        session_id = f"cs_test_{next(self._ids):06d}"
        return web.json_response(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": form.get("mode"),
                "client_reference_id": form.get("client_reference_id"),
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            }
        )

    def _item(self, item_id: str, form: dict[str, str]) -> web.Response:
        for sub in self.subscriptions.values():
            for item in sub["items"]["data"]:
                if item["id"] == item_id:
                    item["quantity"] = int(form["quantity"])
                    return web.json_response(item)
        return _error(404, "invalid_request_error", "No such subscription item")


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    mac = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_id: str, kind: str, obj: dict[str, Any], created: int) -> bytes:
    """A Stripe event's JSON body."""
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created,
        "livemode": False,
        "data": {"object": obj},
    }
    return json.dumps(body).encode("utf-8")
