"""Every `/v1` route in one table: method, path, scope, handler, and the models it reads and
answers with (the OpenAPI document is built from the same table)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel
from redis.exceptions import RedisError

from api import accounts, anomalies, checkout
from api.auth import Scope
from api.errors import ApiError, MethodNotAllowed, NotFound, Unavailable
from api.models import (
    AccountHealth,
    AccountList,
    AccountOut,
    AnomalyPage,
    CheckoutOut,
    ConnectIn,
    Disconnecting,
    SensitivityIn,
    SensitivityOut,
    SetupOut,
)
from api.services import ApiServices
from storage import StoreUnavailableError
from storage.apikeys import ApiKey

logger = logging.getLogger(__name__)

Handler = Callable[[ApiServices, ApiKey, web.Request], Awaitable[web.Response]]
OPENAPI_PATH = "/v1/openapi.json"


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint and what it reads and answers."""

    method: str
    path: str
    scope: Scope
    handler: Handler
    summary: str
    ok: tuple[int, type[BaseModel]]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = field(default=(400, 401, 403, 429, 503))


ACCOUNT = "/v1/accounts/{id}"
ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/accounts", "read", accounts.list_accounts,
          "The workspace's AWS accounts", (200, AccountList)),
    Route("POST", "/v1/accounts", "write", accounts.connect,
          "Validate a role and connect its account", (201, AccountOut), body=ConnectIn,
          errors=(400, 401, 403, 409, 422, 429, 503)),
    Route("POST", "/v1/accounts/setup", "write", accounts.setup,
          "The ExternalId and quick-create link to connect an account", (200, SetupOut)),
    Route("GET", f"{ACCOUNT}/health", "read", accounts.health,
          "Whether the account is connected", (200, AccountHealth),
          errors=(400, 401, 403, 404, 429, 503)),
    Route("DELETE", ACCOUNT, "write", accounts.disconnect,
          "Disconnect: events dropped now, data deleted within 72 h", (202, Disconnecting),
          errors=(400, 401, 403, 404, 429, 503)),
    Route("PATCH", f"{ACCOUNT}/baselines/{{service}}/{{type}}", "write",
          accounts.set_sensitivity, "A baseline's sensitivity", (200, SensitivityOut),
          body=SensitivityIn, errors=(400, 401, 403, 404, 429, 503)),
    Route("GET", "/v1/anomalies", "read", anomalies.list_anomalies,
          "Anomalies, newest first, cursor-paged", (200, AnomalyPage),
          query=anomalies.AnomalyQuery),
    Route("POST", "/v1/billing/checkout", "write", checkout.checkout,
          "A Stripe Checkout session for Pro", (201, CheckoutOut),
          errors=(401, 403, 429, 502, 503)),
)  # fmt: skip


def _endpoint(
    current: Callable[[], ApiServices | None], route: Route
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        services = current()
        try:
            if services is None:
                raise Unavailable("starting up", code="starting")
            key = await services.auth.check(request.headers.get("Authorization"), route.scope)
            return await route.handler(services, key, request)
        except ApiError as error:
            return error.response()
        except StoreUnavailableError:
            logger.warning("API request failed: store unavailable")
            return Unavailable("the database does not answer; try again").response()
        except RedisError as exc:
            logger.warning("API request failed: Redis (%s)", type(exc).__name__)
            retry = {"Retry-After": "1"}
            return Unavailable("the rate limiter does not answer; retry", headers=retry).response()

    handle.__doc__ = route.summary
    return handle


def api_routes(current: Callable[[], ApiServices | None]) -> list[web.RouteDef]:
    """Every /v1 route and the OpenAPI document (`current`: the running services)."""
    from api.openapi import document

    spec = document()

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(spec)

    defs = [web.route(route.method, route.path, _endpoint(current, route)) for route in ROUTES]
    # Other methods on our paths are 405 and anything else under /v1 a 404, as problem+json.
    defined = {(route.path, route.method) for route in ROUTES}
    others = [
        web.route(method, path, _unknown)
        for path in dict.fromkeys(route.path for route in ROUTES)
        for method in _METHODS
        if (path, method) not in defined
    ]
    catch_all = web.route("*", "/v1/{tail:.*}", _unknown)
    return [*defs, *others, web.get(OPENAPI_PATH, openapi), catch_all]


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_TEMPLATES = [
    (re.compile("^" + re.sub(r"{\w+}", r"[^/]+", route.path) + "$"), route) for route in ROUTES
]


async def _unknown(request: web.Request) -> web.Response:
    allowed = sorted({r.method for pattern, r in _TEMPLATES if pattern.match(request.path)})
    if not allowed:
        return NotFound(f"no such endpoint: {request.path[:100]}", code="no_route").response()
    error = MethodNotAllowed(f"use {' or '.join(allowed)}", code="method")
    error.headers["Allow"] = ", ".join(allowed)
    return error.response()
