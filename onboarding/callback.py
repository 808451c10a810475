"""`POST /onboarding/callback`: the customer's dd0c-cost stack reporting its creation or deletion.

The stack's Lambda sends `{"event": "create"|"delete", "accountId", "roleArn", "externalId",
"tenantToken", "stackId", "region"}` and shows our answer as the stack's status reason:

| answer | when |
| ------ | ---- |
| 200 `{"ok": true, ...}` | connected (or already), disconnected (or nothing to disconnect) |
| 400 `{"ok": false, "error"}` | not JSON, or a field missing or malformed |
| 403 `{"ok": false, "error"}` | token forged or unknown, ExternalId not the workspace's |
| 422 `{"ok": false, "problem", "what", "fix"}` | the role check or the connection was refused |
| 503 `{"ok": false, "error"}` | dd0c's database did not answer (try again) |

Creates are idempotent: the same create twice leaves one connected account and answers 200.
A delete only disconnects the account if this stack is the one that connected it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from onboarding import messages
from onboarding.connect import CALLBACK_PATH, CallbackTokens
from onboarding.lifecycle import STACK_DELETE, ConnectResult, connect_account, disconnect_account
from onboarding.messages import Problem
from onboarding.validation import Validator
from storage import Store, StoreUnavailableError
from storage.tenants import Tenant

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024

OnConnected = Callable[[str, str, ConnectResult], Awaitable[None]]
OnDisconnected = Callable[[str, str, Problem], Awaitable[None]]


class CallbackBody(BaseModel):
    """What the stack sends (unknown fields ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    event: Literal["create", "delete"]
    account_id: str = Field(alias="accountId", pattern=r"^\d{12}$")
    role_arn: str = Field(alias="roleArn", min_length=20, max_length=2048)
    external_id: str = Field(alias="externalId", min_length=2, max_length=1224)
    tenant_token: str = Field(alias="tenantToken", min_length=1, max_length=1024)
    stack_id: str = Field(alias="stackId", min_length=1, max_length=2048)
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "error": text}, status=status)


def _invalid(exc: ValidationError) -> web.Response:
    """400 naming each bad field and why (values are never echoed: one is a token)."""
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)[:5]
    ]
    return _error(400, f"{messages.BAD_BODY}: " + "; ".join(parts))


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, however many TCP segments it comes in; None past MAX_BODY bytes."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():  # waits for more until the body ends
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class _Callback:
    def __init__(
        self,
        store: Store,
        tokens: CallbackTokens,
        validate: Validator,
        on_connected: OnConnected,
        now: Callable[[], datetime],
        *,
        on_refused: OnConnected | None,
        on_disconnected: OnDisconnected | None,
        free_limit: int,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.validate = validate
        self.on_connected = on_connected
        self.now = now
        self.on_refused = on_refused
        self.on_disconnected = on_disconnected
        self.free_limit = free_limit

    async def handle(self, request: web.Request) -> web.Response:
        """Parse, authenticate, then create or delete."""
        raw = await _read_body(request)
        if raw is None:
            return _error(413, f"{messages.BAD_BODY}: larger than {MAX_BODY} bytes")
        try:
            body = CallbackBody.model_validate_json(raw)
        except ValidationError as exc:
            return _invalid(exc)
        try:
            tenant = await self._tenant(body)
            if isinstance(tenant, web.Response):
                return tenant
            if body.event == "create":
                return await self._create(tenant, body)
            return await self._delete(tenant, body)
        except StoreUnavailableError:
            logger.warning("callback: MongoDB unavailable", extra={"account_id": body.account_id})
            return _error(503, "dd0c's database is unavailable: try again in a few minutes")

    async def _tenant(self, body: CallbackBody) -> Tenant | web.Response:
        """The workspace the stack belongs to, or the 403 that refuses it."""
        tenant_id = self.tokens.tenant_of(body.tenant_token)
        tenant = await self.store.tenants.get(tenant_id) if tenant_id else None
        if tenant is None:
            logger.warning("callback with a forged token", extra={"account_id": body.account_id})
            return _error(403, messages.FORGED_TOKEN)
        if tenant.external_id is None or not _same(tenant.external_id, body.external_id):
            logger.warning(
                "callback with another ExternalId",
                extra={"team_id": tenant.id, "account_id": body.account_id},
            )
            return _error(403, messages.EXTERNAL_ID_NOT_TENANTS)
        if body.event == "create" and tenant.status != "active":
            return _error(403, messages.WORKSPACE_INACTIVE)
        return tenant

    async def _create(self, tenant: Tenant, body: CallbackBody) -> web.Response:
        validation = await self.validate(body.account_id, body.role_arn, body.external_id)
        result = await connect_account(
            self.store,
            tenant.id,
            body.account_id,
            body.role_arn,
            validation,
            self.now(),
            free_limit=self.free_limit,
            by=f"CloudFormation stack {body.stack_id}",
            stack_id=body.stack_id,
            stack_region=body.region,
        )
        if result.outcome == "connected":
            await _notify("on_connected", self.on_connected, tenant.id, body.account_id, result)
        elif not result.ok and self.on_refused is not None:
            await _notify("on_refused", self.on_refused, tenant.id, body.account_id, result)
        if result.ok:
            return web.json_response(
                {"ok": True, "accountId": body.account_id, "outcome": result.outcome}
            )
        assert result.problem is not None  # every refusal says why
        return web.json_response({"ok": False, **result.problem.as_json()}, status=422)

    async def _delete(self, tenant: Tenant, body: CallbackBody) -> web.Response:
        account = await self.store.accounts.get(tenant.id, body.account_id)
        if account is None:
            return web.json_response({"ok": True, "disconnected": False})
        if account.stack_id is not None and account.stack_id != body.stack_id:
            return web.json_response(
                {"ok": True, "disconnected": False, "reason": "another stack connected it"}
            )
        was_active = account.status in ("active", "pending")
        done = await disconnect_account(
            self.store, tenant.id, body.account_id, STACK_DELETE, self.now()
        )
        if was_active and self.on_disconnected is not None:
            problem = messages.stack_deleted(
                body.account_id, account.role_arn, body.external_id, disconnected=True
            )
            await _notify("on_disconnected", self.on_disconnected, tenant.id, account.id, problem)
        return web.json_response({"ok": True, "disconnected": done})


async def _notify(name: str, hook: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Run a Slack-side hook; its failure is logged, never turned into the stack's failure."""
    try:
        await hook(*args)
    except Exception:  # the account is connected either way: the outermost edge (STYLE §5)
        logger.exception("%s hook failed", name, extra={"team_id": args[0], "account_id": args[1]})


def callback_routes(
    store: Store,
    validate: Validator,
    on_connected: OnConnected,
    *,
    now: Callable[[], datetime],
    tokens: CallbackTokens,
    on_refused: OnConnected | None = None,
    on_disconnected: OnDisconnected | None = None,
    free_limit: int = 1,
) -> list[web.RouteDef]:
    """The callback route. `on_connected(tenant, account, result)` runs once per new connection
    (Slack posts to the channel, starts the zombie scan); `on_refused` for a refused create,
    `on_disconnected(tenant, account, problem)` when a stack delete disconnects an account."""
    handler = _Callback(
        store,
        tokens,
        validate,
        on_connected,
        now,
        on_refused=on_refused,
        on_disconnected=on_disconnected,
        free_limit=free_limit,
    )
    return [web.post(CALLBACK_PATH, handler.handle)]
