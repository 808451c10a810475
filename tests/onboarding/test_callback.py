"""POST /onboarding/callback served by aiohttp, with role checks against moto's server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from onboarding.callback import callback_routes
from onboarding.connect import CallbackTokens
from onboarding.lifecycle import ConnectResult
from onboarding.messages import Problem
from onboarding.validation import Validation, validator
from storage import Store
from tests.onboarding.test_connect import (
    KEY,
    TENANT,
    Customer,
    Faults,
    aws_error,
    customer,
    set_plan,
)
from tests.stores import NOW, fresh_store

pytestmark = pytest.mark.slow  # each test makes a customer role on moto and checks it

PATH = "/onboarding/callback"
STACK = "arn:aws:cloudformation:us-east-1:{account}:stack/dd0c-cost/0f8fad5b-d9cb-469f"
TOKENS = CallbackTokens([KEY])

Client = TestClient[web.Request, web.Application]


@dataclass
class Hooks:
    """What the Slack side was told."""

    connected: list[tuple[str, str, ConnectResult]] = field(default_factory=list)
    refused: list[tuple[str, str, ConnectResult]] = field(default_factory=list)
    disconnected: list[tuple[str, str, Problem]] = field(default_factory=list)
    fail: bool = False

    async def on_connected(self, tenant_id: str, account_id: str, result: ConnectResult) -> None:
        self.connected.append((tenant_id, account_id, result))
        if self.fail:
            raise RuntimeError("Slack is down")

    async def on_refused(self, tenant_id: str, account_id: str, result: ConnectResult) -> None:
        self.refused.append((tenant_id, account_id, result))

    async def on_disconnected(self, tenant_id: str, account_id: str, problem: Problem) -> None:
        self.disconnected.append((tenant_id, account_id, problem))


@dataclass
class Setup:
    """The served callback, its store, its hooks, and a customer account on moto."""

    client: Client
    store: Store
    hooks: Hooks
    acct: Customer
    faults: Faults

    def body(self, event: str = "create", **changes: Any) -> dict[str, Any]:
        """What the stack's Lambda sends."""
        body = {
            "event": event,
            "accountId": self.acct.account_id,
            "roleArn": self.acct.role_arn,
            "externalId": self.acct.external_id,
            "tenantToken": TOKENS.token_for(TENANT),
            "stackId": STACK.format(account=self.acct.account_id),
            "region": "us-east-1",
        }
        body.update(changes)
        return body

    async def post(self, body: Any) -> tuple[int, Any]:
        """POST the body (a dict as JSON, bytes/str as they are); status and JSON answer."""
        if isinstance(body, dict):
            response = await self.client.post(PATH, json=body)
        else:
            response = await self.client.post(PATH, data=body)
        return response.status, await response.json()


@pytest.fixture
async def setup(moto_endpoint: str) -> AsyncIterator[Setup]:
    """Tenant T0001 with its ExternalId, a customer role trusting it, the route served."""
    store = await fresh_store()
    await store.tenants.ensure(TENANT, NOW, "Acme")
    external_id = await store.tenants.ensure_external_id(TENANT, NOW)
    assert external_id is not None
    acct = await customer(moto_endpoint, external_id)
    faults = acct.faults()
    hooks = Hooks()
    app = web.Application()
    app.add_routes(
        callback_routes(
            store,
            validator(faults, lambda: NOW),
            hooks.on_connected,
            now=lambda: NOW,
            tokens=TOKENS,
            on_refused=hooks.on_refused,
            on_disconnected=hooks.on_disconnected,
        )
    )
    async with TestClient(TestServer(app)) as client:
        yield Setup(client, store, hooks, acct, faults)
    await store.close()


async def test_a_created_stack_connects_its_account(setup: Setup) -> None:
    status, answer = await setup.post(setup.body())
    assert (status, answer) == (
        200,
        {"ok": True, "accountId": setup.acct.account_id, "outcome": "connected"},
    )
    account = await setup.store.accounts.get(TENANT, setup.acct.account_id)
    assert account is not None and account.status == "active"
    assert account.role_arn == setup.acct.role_arn
    assert account.learning_started_at == NOW
    assert account.stack_id == STACK.format(account=setup.acct.account_id)
    assert account.stack_region == "us-east-1"
    assert [(t, a, r.outcome) for t, a, r in setup.hooks.connected] == [
        (TENANT, setup.acct.account_id, "connected")
    ]
    entries = await setup.store.audit.recent(TENANT, kind="account.connected")
    assert entries[0].message.startswith(
        f"account {setup.acct.account_id} connected by CloudFormation stack arn:aws:"
    )


async def test_the_same_create_twice_connects_once(setup: Setup) -> None:
    first = await setup.post(setup.body())
    second = await setup.post(setup.body())
    assert first[0] == second[0] == 200
    assert second[1]["outcome"] == "already_connected"
    assert len(await setup.store.accounts.for_tenant(TENANT)) == 1
    assert len(setup.hooks.connected) == 1
    assert len(await setup.store.audit.recent(TENANT, kind="account.connected")) == 1


async def test_a_failed_role_check_is_the_stacks_failure_reason(setup: Setup) -> None:
    setup.faults.errors["ec2.describe_regions"] = aws_error(
        "UnauthorizedOperation", "You are not authorized to perform this operation.", "x", 403
    )
    status, answer = await setup.post(setup.body())
    assert status == 422
    assert answer["ok"] is False and answer["problem"] == "permissions_missing"
    assert "ec2:DescribeRegions" in answer["what"] and "Update the dd0c-cost stack" in answer["fix"]
    assert await setup.store.accounts.route(setup.acct.account_id) is None
    assert setup.hooks.connected == [] and len(setup.hooks.refused) == 1


async def test_a_second_account_on_the_free_tier_gets_the_upgrade_prompt(setup: Setup) -> None:
    other = "222233334444"
    await setup.store.accounts.connect(TENANT, other, "arn:aws:iam::x", NOW, by="test")
    status, answer = await setup.post(setup.body())
    assert status == 422 and answer["problem"] == "upgrade_required"
    assert other in answer["what"] and "Upgrade to Pro" in answer["fix"]
    await set_plan(setup.store, TENANT, "pro")
    assert (await setup.post(setup.body()))[0] == 200


async def test_a_deleted_stack_disconnects_its_account(setup: Setup) -> None:
    await setup.post(setup.body())
    status, answer = await setup.post(setup.body("delete"))
    assert (status, answer) == (200, {"ok": True, "disconnected": True})
    account = await setup.store.accounts.get(TENANT, setup.acct.account_id)
    assert account is not None and account.status == "disconnecting"
    assert account.disconnect_requested_by == "cloudformation stack delete"
    assert account.disconnect_requested_at == NOW
    [(tenant_id, account_id, problem)] = setup.hooks.disconnected
    assert (tenant_id, account_id, problem.code) == (TENANT, account.id, "stack_deleted")
    assert "deletes its data within 72 hours" in problem.what
    assert await setup.post(setup.body("delete")) == (200, {"ok": True, "disconnected": True})
    assert len(setup.hooks.disconnected) == 1  # told once


async def test_a_delete_from_another_stack_or_of_an_unknown_account_changes_nothing(
    setup: Setup,
) -> None:
    await setup.post(setup.body())
    other_stack = setup.body("delete", stackId="arn:aws:cloudformation:eu-west-1:1:stack/x/y")
    status, answer = await setup.post(other_stack)
    assert status == 200 and answer["disconnected"] is False
    account = await setup.store.accounts.get(TENANT, setup.acct.account_id)
    assert account is not None and account.status == "active"
    unknown = setup.body("delete", accountId="555566667777")
    assert await setup.post(unknown) == (200, {"ok": True, "disconnected": False})


@pytest.mark.parametrize(
    "token",
    [
        "v1.VDAwMDE.forged",
        CallbackTokens(["z" * 40]).token_for(TENANT),  # signed by someone else's key
        TOKENS.token_for("T-UNKNOWN"),  # genuine, but no such workspace
    ],
)
async def test_a_forged_or_unknown_token_is_forbidden(setup: Setup, token: str) -> None:
    status, answer = await setup.post(setup.body(tenantToken=token))
    assert status == 403 and answer["ok"] is False
    assert answer["error"].startswith("tenantToken is not valid for any dd0c workspace")
    assert await setup.store.accounts.route(setup.acct.account_id) is None
    assert setup.faults.calls == []  # refused before any AWS call


async def test_another_external_id_is_forbidden_with_the_reason(setup: Setup) -> None:
    for event in ("create", "delete"):
        status, answer = await setup.post(setup.body(event, externalId=str(uuid.uuid4())))
        assert status == 403
        assert answer["error"].startswith("externalId is not this workspace's ExternalId")
    assert await setup.store.accounts.route(setup.acct.account_id) is None


async def test_an_uninstalled_workspace_cannot_connect(setup: Setup) -> None:
    await setup.store.tenants.set_status(TENANT, "inactive", NOW, "uninstalled")
    status, answer = await setup.post(setup.body())
    assert status == 403 and "no longer installed" in answer["error"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"not json", "Invalid JSON"),
        (b"[]", "body: Input should be an object"),
        ({"event": "create"}, "accountId: Field required"),
        ({"event": "update"}, "event: Input should be 'create' or 'delete'"),
    ],
)
async def test_a_malformed_body_is_a_clear_400(
    setup: Setup, body: bytes | dict[str, Any], named: str
) -> None:
    status, answer = await setup.post(body)
    assert status == 400 and answer["ok"] is False
    assert answer["error"].startswith("invalid callback body: ") and named in answer["error"]


async def test_a_malformed_field_is_named_and_its_value_not_echoed(setup: Setup) -> None:
    status, answer = await setup.post(setup.body(accountId="12345", tenantToken=""))
    assert status == 400
    assert "accountId: String should match pattern" in answer["error"]
    assert "tenantToken" in answer["error"] and "12345" not in answer["error"]


async def test_an_oversized_body_is_refused(setup: Setup) -> None:
    status, _ = await setup.post(setup.body(padding="x" * 20_000))
    assert status == 413


async def test_a_failing_slack_hook_does_not_fail_the_stack(setup: Setup) -> None:
    setup.hooks.fail = True
    status, answer = await setup.post(setup.body())
    assert status == 200 and answer["ok"] is True
    account = await setup.store.accounts.get(TENANT, setup.acct.account_id)
    assert account is not None and account.status == "active"


async def test_the_validator_is_given_what_the_stack_sent(setup: Setup) -> None:
    seen: list[tuple[str, str, str]] = []
    inner = validator(setup.faults, lambda: NOW)

    async def spy(account_id: str, role_arn: str, external_id: str) -> Validation:
        seen.append((account_id, role_arn, external_id))
        return await inner(account_id, role_arn, external_id)

    check: Callable[[str, str, str], Awaitable[Validation]] = spy
    app = web.Application()
    app.add_routes(
        callback_routes(
            setup.store,
            check,
            setup.hooks.on_connected,
            now=lambda: NOW + timedelta(minutes=1),
            tokens=TOKENS,
        )
    )
    async with TestClient(TestServer(app)) as client:
        response = await client.post(PATH, json=setup.body())
        assert response.status == 200
    assert seen == [(setup.acct.account_id, setup.acct.role_arn, setup.acct.external_id)]


@pytest.mark.slow
async def test_an_organisations_member_stacks_connect_to_one_workspace(
    setup: Setup, moto_endpoint: str
) -> None:
    """The organisation StackSet gives every member account's stack the same token: on the free
    plan the first account connects and the others' stacks fail with the upgrade prompt; on Pro
    every member connects to the same workspace."""
    external_id = setup.acct.external_id
    members = [setup.acct, *[await customer(moto_endpoint, external_id) for _ in range(2)]]

    def body(member: Customer) -> dict[str, Any]:
        return setup.body(accountId=member.account_id, roleArn=member.role_arn)

    answers = [await setup.post(body(member)) for member in members]
    assert [status for status, _ in answers] == [200, 422, 422]
    assert {answer["problem"] for _, answer in answers[1:]} == {"upgrade_required"}

    await set_plan(setup.store, TENANT, "pro")
    answers = [await setup.post(body(member)) for member in members]
    assert [status for status, _ in answers] == [200, 200, 200]
    connected = await setup.store.accounts.active(TENANT)
    assert sorted(a.id for a in connected) == sorted(m.account_id for m in members)
