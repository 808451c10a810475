"""`/v1/accounts…`: list, health, set-up link, connect, disconnect, baseline sensitivity."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import datetime, timedelta

from aiohttp import web

from api._io import json_response, read_body
from api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unavailable,
    Unprocessable,
)
from api.models import (
    AccountHealth,
    AccountList,
    AccountOut,
    BaselineMaturity,
    BurnRate,
    ConnectIn,
    Disconnecting,
    SensitivityIn,
    SensitivityOut,
    SetupOut,
)
from api.services import ApiServices
from billing import messages as billing_messages
from engine import BaselineKey
from engine.thresholds import DEFAULT_THRESHOLDS
from onboarding import messages
from onboarding.lifecycle import connect_account, disconnect_account, upgrade_needed
from onboarding.messages import Problem
from storage.accounts import Account
from storage.apikeys import ApiKey

LEARNING = timedelta(days=DEFAULT_THRESHOLDS.maturity_days)
HOURS_A_MONTH = 730
_ACCOUNT = re.compile(r"^\d{12}$")
_SERVICE = re.compile(r"^[a-z0-9-]{1,40}$")
_TYPE = re.compile(r"^[a-z0-9-]{1,40}:[a-z0-9-]{1,60}$")
CHECKOUT_PATH = "/v1/billing/checkout"


def account_param(request: web.Request) -> str:
    """The `{id}` of the path, a 12-digit account id; BadRequest otherwise."""
    account_id = request.match_info["id"]
    if not _ACCOUNT.match(account_id):
        raise BadRequest("an AWS account id is 12 digits, like 123456789012", code="account_id")
    return account_id


def maturity(account: Account, now: datetime) -> BaselineMaturity:
    """Learning (and the days left) or mature; not watched unless active."""
    if account.status != "active":
        return BaselineMaturity(state="not-watched", learning_days_left=0)
    started = account.learning_started_at or account.connected_at
    left = (started + LEARNING - now).total_seconds() / 86400
    if left <= 0:
        return BaselineMaturity(state="mature", learning_days_left=0)
    return BaselineMaturity(state="learning", learning_days_left=math.ceil(left))


async def _account_out(services: ApiServices, account: Account) -> AccountOut:
    burn = await services.store.resources.burn_rate(account.tenant_id, account.id)
    return AccountOut(
        account_id=account.id,
        status=account.status,
        name=account.name,
        connected_at=account.connected_at,
        baseline_maturity=maturity(account, services.clock()),
        burn_rate=BurnRate(
            hourly_usd=round(burn.hourly_usd, 4),
            monthly_usd=round(burn.hourly_usd * HOURS_A_MONTH, 2),
            running=burn.running,
            unpriced=burn.unpriced,
        ),
    )


async def list_accounts(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """GET /v1/accounts."""
    tenant = await services.store.tenants.get(key.tenant_id)
    accounts = [
        await _account_out(services, account)
        for account in await services.store.accounts.for_tenant(key.tenant_id)
        if account.status != "disconnected"
    ]
    plan = tenant.plan if tenant else "free"
    return json_response(AccountList(accounts=accounts, plan=plan))


async def _owned(services: ApiServices, key: ApiKey, account_id: str) -> Account:
    account = await services.store.accounts.get(key.tenant_id, account_id)
    if account is None:
        raise NotFound(f"account {account_id} is not connected to this workspace", code="account")
    return account


async def health(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """GET /v1/accounts/{id}/health."""
    account = await _owned(services, key, account_param(request))
    details = {
        "active": "connected: dd0c reads its CloudTrail events",
        "pending": "the stack is being created; not connected yet",
        "paused": f"paused ({account.paused_reason or 'free plan'}): data kept, events not read",
        "disconnecting": f"disconnecting: data deleted within {messages.DELETE_WITHIN_HOURS} h",
        "disconnected": "disconnected: its data is deleted",
    }
    return json_response(
        AccountHealth(
            account_id=account.id,
            status=account.status,
            connected=account.status == "active",
            role_arn=account.role_arn,
            connected_at=account.connected_at,
            last_zombie_scan_at=account.zombie_scan_at,
            detail=details[account.status],
        )
    )


async def disconnect(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """DELETE /v1/accounts/{id}: events dropped now, data purged within 72 h."""
    account_id = account_param(request)
    by = f"API key {key.shown_prefix} ({key.name})"
    if not await disconnect_account(
        services.store, key.tenant_id, account_id, by, services.clock()
    ):
        raise NotFound(f"account {account_id} is not connected to this workspace", code="account")
    if services.billing is not None:
        await services.billing.sync_quantity_quietly(key.tenant_id)
    account = await _owned(services, key, account_id)
    status = "disconnected" if account.status == "disconnected" else "disconnecting"
    body = Disconnecting(
        account_id=account_id, status=status, data_deleted_within_hours=messages.DELETE_WITHIN_HOURS
    )
    return json_response(body, status=202)


def _upgrade_error(services: ApiServices, problem: Problem) -> ApiError:
    enabled = services.billing is not None and services.billing.enabled
    detail = problem.text()
    if not enabled:
        detail += " " + billing_messages.DISABLED
    return Forbidden(detail, code=problem.code, upgrade_url=CHECKOUT_PATH if enabled else None)


async def setup(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """POST /v1/accounts/setup: the ExternalId and the quick-create link (free tier checked)."""
    now = services.clock()
    problem = await upgrade_needed(
        services.store, key.tenant_id, None, free_limit=services.free_limit
    )
    if problem is not None:
        raise _upgrade_error(services, problem)
    if services.setup is not None:
        link = await services.setup(key.tenant_id, now)
        if link.problem is not None:
            raise _upgrade_error(services, link.problem)
        assert link.external_id is not None  # made on first use
        return json_response(SetupOut(external_id=link.external_id, quick_create_url=link.url))
    external_id = await services.store.tenants.ensure_external_id(key.tenant_id, now)
    if external_id is None:
        raise NotFound("this workspace is not installed", code="tenant")
    return json_response(SetupOut(external_id=external_id, quick_create_url=None))


_REFUSED: dict[str, type[ApiError]] = {"account_taken": Conflict, "invalid": Unprocessable}


async def connect(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """POST /v1/accounts: validate the role (as Slack does) and connect the account."""
    body = await read_body(request, ConnectIn)
    if services.validate is None:
        raise Unavailable("connecting by role ARN is not configured on this service")
    now = services.clock()
    external_id = await services.store.tenants.ensure_external_id(key.tenant_id, now)
    if external_id is None:
        raise NotFound("this workspace is not installed", code="tenant")
    try:
        validation = await asyncio.wait_for(
            services.validate(body.account_id, body.role_arn, external_id),
            services.validate_timeout,
        )
    except TimeoutError:
        raise Unavailable("AWS did not answer in time. Try again in a minute.") from None
    by = f"API key {key.shown_prefix} ({key.name})"
    result = await connect_account(
        services.store,
        key.tenant_id,
        body.account_id,
        body.role_arn,
        validation,
        now,
        free_limit=services.free_limit,
        by=by,
    )
    if not result.ok:
        assert result.problem is not None  # a refusal always says why
        if result.outcome == "upgrade_required":
            raise _upgrade_error(services, result.problem)
        refused = _REFUSED.get(result.outcome, Unprocessable)
        raise refused(result.problem.text(), code=result.problem.code)
    if services.billing is not None:
        await services.billing.sync_quantity_quietly(key.tenant_id)
    account = await _owned(services, key, body.account_id)
    return json_response(await _account_out(services, account), status=201)


async def set_sensitivity(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """PATCH /v1/accounts/{id}/baselines/{service}/{type}: low | medium | high, audited."""
    account_id = account_param(request)
    service, kind = request.match_info["service"], request.match_info["type"]
    resource_type = kind if ":" in kind else f"{service}:{kind}"
    if not _SERVICE.match(service) or not _TYPE.match(resource_type):
        raise BadRequest("service and type look like ec2 and instance (or ec2:instance)")
    if not resource_type.startswith(f"{service}:"):
        raise BadRequest(f"the resource type must be one of {service}'s (service:type)")
    body = await read_body(request, SensitivityIn)
    await _owned(services, key, account_id)
    baseline = BaselineKey(account_id, service, resource_type)
    await services.store.baselines.set_sensitivity(key.tenant_id, baseline, body.sensitivity)
    sentence = (
        f"sensitivity of {service} {resource_type} in account {account_id} set to "
        f"{body.sensitivity} by API key {key.shown_prefix} ({key.name})"
    )
    await services.store.audit.record(
        key.tenant_id,
        "baseline.sensitivity",
        sentence,
        services.clock(),
        {
            "account": account_id,
            "service": service,
            "resourceType": resource_type,
            "level": body.sensitivity,
            "apiKey": key.id,
        },
    )
    out = SensitivityOut(
        account_id=account_id,
        service=service,
        resource_type=resource_type,
        sensitivity=body.sensitivity,
    )
    return json_response(out)
