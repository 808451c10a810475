"""/v1/accounts over HTTP: list, health, set-up, connect (a real role on moto), disconnect, and
baseline sensitivity; refusals as problem+json with the same texts as Slack."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import pytest

from api import ApiServices
from engine import BaselineKey
from onboarding import messages
from onboarding.connect import CallbackTokens, LinkSettings, SetupLink, setup_link
from onboarding.validation import Validation, validate_role
from tests.api.harness import served_api
from tests.onboarding.test_connect import Customer, customer, new_account_id, ok_validation
from tests.stores import NOW

T = "T_ACCTS"
TEMPLATE = "https://dd0c-templates.s3.amazonaws.com/dd0c-cost-readonly.yaml"
BUS = "arn:aws:events:us-east-1:999999999999:event-bus/dd0c-cost-bus"


async def test_list_shows_status_learning_days_left_and_burn_rate() -> None:
    async with served_api() as api:
        key = await api.key(T)
        await api.store.accounts.attach(T, "111122223333", NOW - timedelta(days=3, hours=1))
        await api.store.accounts.attach(T, "222233334444", NOW - timedelta(days=20))
        answer = await api.call("GET", "/v1/accounts", key)
        assert answer.status == 200 and answer.body["plan"] == "free"
        by_id = {a["accountId"]: a for a in answer.body["accounts"]}
        assert by_id["111122223333"]["baselineMaturity"] == {
            "state": "learning",
            "learningDaysLeft": 11,
        }
        assert by_id["222233334444"]["baselineMaturity"] == {
            "state": "mature",
            "learningDaysLeft": 0,
        }
        assert by_id["111122223333"]["burnRate"] == {
            "hourlyUsd": 0.0,
            "monthlyUsd": 0.0,
            "running": 0,
            "unpriced": 0,
        }


async def test_health_then_disconnect_starts_the_72_hour_purge() -> None:
    async with served_api() as api:
        read, write = await api.key(T), await api.key(T, "write")
        await api.store.accounts.attach(T, "111122223333", NOW)
        health = await api.call("GET", "/v1/accounts/111122223333/health", read)
        assert health.status == 200
        assert (health.body["connected"], health.body["status"]) == (True, "active")
        gone = await api.call("DELETE", "/v1/accounts/111122223333", write)
        assert gone.status == 202
        assert gone.body == {
            "accountId": "111122223333",
            "status": "disconnecting",
            "dataDeletedWithinHours": 72,
        }
        account = await api.store.accounts.get(T, "111122223333")
        assert account is not None and account.status == "disconnecting"
        assert account.disconnect_requested_by is not None
        assert account.disconnect_requested_by.startswith("API key dd0c_live_")
        due = await api.store.accounts.purge_due(NOW)
        assert [a.id for a in due] == ["111122223333"]
        again = await api.call("GET", "/v1/accounts/111122223333/health", read)
        assert (again.body["connected"], again.body["status"]) == (False, "disconnecting")
        assert (await api.call("GET", "/v1/accounts/12345/health", read)).status == 400
        assert (await api.call("GET", "/v1/accounts/999999999999/health", read)).status == 404


async def test_setup_gives_the_external_id_and_link_and_free_plan_with_one_account_is_403() -> None:
    tokens = CallbackTokens.from_setting("k" * 40)
    link = LinkSettings(TEMPLATE, BUS, "https://dd0c.example/onboarding/callback")

    def configure(services: ApiServices) -> None:
        services.setup = partial(_setup, services, tokens, link)

    async with served_api(configure=configure) as api:
        key = await api.key(T, "write")
        first = await api.call("POST", "/v1/accounts/setup", key)
        assert first.status == 200
        tenant = await api.store.tenants.get(T)
        assert tenant is not None and first.body["externalId"] == tenant.external_id
        assert first.body["quickCreateUrl"].startswith("https://us-east-1.console.aws.amazon.com/")
        assert tenant.external_id in first.body["quickCreateUrl"]
        await api.store.accounts.attach(T, "111122223333", NOW)
        refused = await api.call("POST", "/v1/accounts/setup", key)
        assert refused.status == 403
        assert refused.body["code"] == "upgrade_required"
        slack_text = messages.upgrade_required(None, ["111122223333"], 1).text()
        assert refused.body["detail"].startswith(slack_text)
        assert "billing is not configured" in refused.body["detail"]


async def _setup(
    services: ApiServices, tokens: CallbackTokens, link: LinkSettings, tenant: str, now: datetime
) -> SetupLink:
    return await setup_link(services.store, tokens, tenant, now, link)


@pytest.mark.slow  # role checks against moto's STS and IAM: about 3 s
async def test_connect_validates_a_real_role_and_refuses_as_slack_does(moto_endpoint: str) -> None:
    holder: dict[str, Customer] = {}

    async def validate(account_id: str, role_arn: str, external_id: str) -> Validation:
        acct = holder["customer"]
        return await validate_role(
            account_id, role_arn, external_id, sts_client_factory=acct.faults(), now=NOW
        )

    def configure(services: ApiServices) -> None:
        services.validate = validate

    async with served_api(configure=configure) as api:
        key = await api.key(T, "write")
        external_id = await api.store.tenants.ensure_external_id(T, NOW)
        assert external_id is not None
        acct = await customer(moto_endpoint, external_id)
        holder["customer"] = acct
        body = {"accountId": acct.account_id, "roleArn": acct.role_arn}
        made = await api.call("POST", "/v1/accounts", key, json=body)
        assert made.status == 201, made.body
        assert (made.body["accountId"], made.body["status"]) == (acct.account_id, "active")
        assert made.body["baselineMaturity"] == {"state": "learning", "learningDaysLeft": 14}
        second = await customer(moto_endpoint, external_id)
        holder["customer"] = second
        body = {"accountId": second.account_id, "roleArn": second.role_arn}
        refused = await api.call("POST", "/v1/accounts", key, json=body)
        assert refused.status == 403 and refused.body["code"] == "upgrade_required"
        expected = messages.upgrade_required(second.account_id, [acct.account_id], 1).text()
        assert refused.body["detail"].startswith(expected)
        other = new_account_id()
        wrong = {"accountId": other, "roleArn": f"arn:aws:iam::{other}:user/not-a-role"}
        invalid = await api.call("POST", "/v1/accounts", key, json=wrong)
        assert invalid.status == 422 and invalid.body["code"] == "role_missing"
        check = await validate_role(
            other, wrong["roleArn"], external_id, sts_client_factory=acct.faults(), now=NOW
        )
        assert check.problem is not None and invalid.body["detail"] == check.problem.text()


async def test_bad_bodies_are_400_naming_the_field_and_change_nothing() -> None:
    async with served_api() as api:
        key = await api.key(T, "write")
        cases: list[tuple[bytes, str]] = [
            (b"{", "application/json"),
            (b"[]", "application/json"),
            (
                b'{"accountId": "12", "roleArn": "arn:aws:iam::123456789012:role/x"}',
                "application/json",
            ),
            (b'{"accountId": "123456789012"}', "application/json"),
            (b'{"accountId": "123456789012", "roleArn": "x" , "extra": 1}', "application/json"),
            (b"accountId=1", "application/x-www-form-urlencoded"),
            (b"x" * 20_000, "application/json"),
        ]
        for raw, kind in cases:
            answer = await api.call(
                "POST", "/v1/accounts", key, data=raw, headers={"Content-Type": kind}
            )
            assert answer.status == 400, raw[:40]
            assert answer.body["detail"]
        assert await api.store.accounts.for_tenant(T) == []
        patch = "/v1/accounts/111122223333/baselines/ec2/instance"
        await api.store.accounts.attach(T, "111122223333", NOW)
        for body in ({"sensitivity": "extreme"}, {}, {"sensitivity": "low", "x": 1}):
            answer = await api.call("PATCH", patch, key, json=body)
            assert answer.status == 400, body
        assert (
            await api.call(
                "PATCH",
                "/v1/accounts/111122223333/baselines/ec2/rds:db",
                key,
                json={"sensitivity": "low"},
            )
        ).status == 400


async def test_sensitivity_is_set_and_audited() -> None:
    async with served_api() as api:
        key = await api.key(T, "write", name="terraform")
        await api.store.accounts.attach(T, "111122223333", NOW)
        path = "/v1/accounts/111122223333/baselines/ec2/instance"
        answer = await api.call("PATCH", path, key, json={"sensitivity": "low"})
        assert answer.status == 200
        assert answer.body == {
            "accountId": "111122223333",
            "service": "ec2",
            "resourceType": "ec2:instance",
            "sensitivity": "low",
        }
        baseline = await api.store.baselines.get(
            T, BaselineKey("111122223333", "ec2", "ec2:instance")
        )
        assert baseline is not None and baseline.sensitivity == "low"
        (entry,) = await api.store.audit.recent(T, kind="baseline.sensitivity")
        assert "terraform" in entry.message and entry.detail["level"] == "low"


async def test_another_workspaces_account_is_a_409_and_stays_where_it_is() -> None:
    async def validated(account_id: str, role_arn: str, external_id: str) -> Validation:
        return ok_validation(account_id, role_arn)  # the role is not what this test is about

    def configure(services: ApiServices) -> None:
        services.validate = validated

    async with served_api(configure=configure) as api:
        await api.store.accounts.attach("T_OWNER", "111122223333", NOW)
        key = await api.key(T, "write")
        body = {
            "accountId": "111122223333",
            "roleArn": "arn:aws:iam::111122223333:role/dd0c-cost-readonly",
        }
        answer = await api.call("POST", "/v1/accounts", key, json=body)
        assert answer.status == 409 and answer.body["code"] == "account_taken"
        assert answer.body["detail"] == messages.account_taken("111122223333").text()
        account = await api.store.accounts.route("111122223333")
        assert account is not None and account.tenant_id == "T_OWNER"
