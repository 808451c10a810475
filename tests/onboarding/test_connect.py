"""Connecting accounts: ExternalId, tenant token, quick-create link, role checks, free tier,
disconnect and purge.

Role checks run against moto's server (real HTTP and botocore). moto's STS accepts any
AssumeRole, ExternalId or not, so `Faults` wraps the client factory: it enforces the ExternalId
as a correct trust policy would, and raises the errors AWS returns (shapes as AWS sends them:
`AccessDenied` "User: ... is not authorized to perform: sts:AssumeRole on resource: ...",
`UnauthorizedOperation` from EC2, `Throttling`, `InvalidClientTokenId`, ...).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aioboto3
import orjson
import pytest
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError

from ingest.messages import Message, Outcome
from ingest.pipeline import Pipeline
from onboarding.connect import CallbackTokens, LinkSettings, quick_create_url, setup_link
from onboarding.lifecycle import (
    connect_account,
    disconnect_account,
    purge_disconnected,
)
from onboarding.messages import ROLE_NAME, expected_role_arn
from onboarding.validation import (
    ClientFactory,
    Validation,
    aioboto3_factory,
    validate_role,
)
from pricing import load_catalogue
from storage import Store
from storage.coverage import AccountCoverage, coverage_id
from storage.reconciliations import Reconciliation, reconciliation_id
from tests.aws import REGION, _free_port
from tests.stores import NOW, fresh_store
from tests.trails import ACCOUNT, run_instances

DD0C_ACCOUNT = "999988887777"
EVENT_BUS = f"arn:aws:events:us-east-1:{DD0C_ACCOUNT}:event-bus/dd0c-cost-bus"
KEY = "k" * 40
TENANT = "T0001"
CATALOGUE = load_catalogue()
_messages = iter(range(1, 1_000_000))


# ---------------------------------------------------------------- AWS helpers (moto + faults)


def aws_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """A ClientError shaped as botocore builds it from an AWS error response."""
    response: Any = {  # botocore's TypedDict has no "Type", which AWS sends
        "Error": {"Type": "Sender", "Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def assume_denied(role_arn: str) -> ClientError:
    """What STS answers when the trust policy (or ExternalId) does not let dd0c in."""
    who = f"arn:aws:sts::{DD0C_ACCOUNT}:assumed-role/dd0c-cost-service/i-0abc"
    return aws_error(
        "AccessDenied",
        f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        "AssumeRole",
        403,
    )


@dataclass
class Faults:
    """A ClientFactory around moto's: enforces the trust policy's ExternalId, injects errors.

    `errors` maps "service.operation" (e.g. "ec2.describe_regions") to the error it raises;
    `answers` maps it to a canned answer. Every call is recorded in `calls`.
    """

    inner: ClientFactory
    external_id: str | None = None  # None: no ExternalId condition (moto's own behaviour)
    errors: dict[str, Exception] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, service_name: str, **kwargs: Any) -> AbstractAsyncContextManager[Any]:
        return self._client(service_name, kwargs)

    @asynccontextmanager
    async def _client(self, service: str, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        async with self.inner(service, **kwargs) as client:
            yield _Proxy(self, service, client)

    async def call(self, name: str, real: Any, params: dict[str, Any]) -> Any:
        self.calls.append((name, params))
        if name in self.errors:
            raise self.errors[name]
        if name == "sts.assume_role" and self.external_id is not None:
            if params.get("ExternalId") != self.external_id:
                raise assume_denied(params["RoleArn"])
        if name in self.answers:
            return self.answers[name]
        return await real(**params)

    def names(self) -> list[str]:
        """The operations called, in order."""
        return [name for name, _ in self.calls]


class _Proxy:
    def __init__(self, faults: Faults, service: str, client: Any) -> None:
        self._faults, self._service, self._client = faults, service, client

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)

        async def call(**params: Any) -> Any:
            return await self._faults.call(f"{self._service}.{name}", real, params)

        return call


def moto_factory(endpoint: str) -> ClientFactory:
    """aioboto3 clients on moto's server, failing fast."""
    config = AioConfig(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2)
    return aioboto3_factory(aioboto3.Session(), endpoint_url=endpoint, config=config)


def trust_policy(external_id: str) -> str:
    """The trust policy the dd0c-cost stack writes."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{DD0C_ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
                }
            ],
        }
    )


async def create_role(endpoint: str, account_id: str, external_id: str) -> str:
    """Create dd0c-cost-readonly in the account on moto (as the stack would); its ARN."""
    session = aioboto3.Session()
    async with session.client("sts", endpoint_url=endpoint, region_name=REGION) as sts:
        admin = f"arn:aws:iam::{account_id}:role/admin"
        creds = (await sts.assume_role(RoleArn=admin, RoleSessionName="setup"))["Credentials"]
    async with session.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ) as iam:
        role = await iam.create_role(
            RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust_policy(external_id)
        )
    return role["Role"]["Arn"]


def new_account_id() -> str:
    """An account of its own for each test (moto's state is shared by the session)."""
    return str(random.randrange(10**11, 10**12))


@dataclass
class Customer:
    """A customer account on moto with the stack's role, and the tenant's ExternalId."""

    account_id: str
    role_arn: str
    external_id: str
    endpoint: str

    def faults(self, **kwargs: Any) -> Faults:
        """The factory a correct trust policy gives (plus any injected faults)."""
        kwargs.setdefault("external_id", self.external_id)
        return Faults(moto_factory(self.endpoint), **kwargs)

    async def validate(self, **kwargs: Any) -> Validation:
        """validate_role against this account's role."""
        factory = kwargs.pop("factory", None) or self.faults()
        return await validate_role(
            kwargs.pop("account_id", self.account_id),
            kwargs.pop("role_arn", self.role_arn),
            kwargs.pop("external_id", self.external_id),
            sts_client_factory=factory,
            now=NOW,
            **kwargs,
        )


async def customer(endpoint: str, external_id: str, account_id: str | None = None) -> Customer:
    """A fresh customer account whose role trusts dd0c with `external_id`."""
    account_id = account_id or new_account_id()
    role_arn = await create_role(endpoint, account_id, external_id)
    return Customer(account_id, role_arn, external_id, endpoint)


def ok_validation(account_id: str, role_arn: str | None = None) -> Validation:
    """A passed role check (for lifecycle tests that are not about AWS)."""
    return Validation(True, account_id, role_arn or expected_role_arn(account_id), NOW)


async def set_plan(store: Store, tenant_id: str, plan: str) -> None:
    """What the billing side does on upgrade."""
    await store.connection.db["tenants"].update_one({"_id": tenant_id}, {"$set": {"plan": plan}})


# ---------------------------------------------------------------- fixtures


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """A fresh store with tenant T0001 (free plan)."""
    store = await fresh_store()
    await store.tenants.ensure(TENANT, NOW, "Acme")
    yield store
    await store.close()


async def connect(store: Store, account_id: str, tenant_id: str = TENANT, **kwargs: Any) -> Any:
    """connect_account with a passed role check."""
    role = expected_role_arn(account_id)
    return await connect_account(
        store, tenant_id, account_id, role, ok_validation(account_id), NOW, **kwargs
    )


# ---------------------------------------------------------------- ExternalId, token, link


async def test_the_external_id_is_a_uuid4_made_once(store: Store) -> None:
    first = await store.tenants.ensure_external_id(TENANT, NOW)
    again = await store.tenants.ensure_external_id(TENANT, NOW + timedelta(days=3))
    assert first is not None and first == again
    assert uuid.UUID(first).version == 4
    tenant = await store.tenants.get(TENANT)
    assert tenant is not None and tenant.external_id == first
    assert await store.tenants.ensure_external_id("nobody", NOW) is None


async def test_concurrent_first_uses_agree_on_one_external_id(store: Store) -> None:
    made = await asyncio.gather(*(store.tenants.ensure_external_id(TENANT, NOW) for _ in range(5)))
    assert len(set(made)) == 1


def test_a_tenant_token_names_its_tenant_and_cannot_be_forged() -> None:
    tokens = CallbackTokens([KEY])
    token = tokens.token_for("E01:T02")
    assert token == tokens.token_for("E01:T02")  # rebuilt, not stored
    assert tokens.tenant_of(token) == "E01:T02"
    version, tenant, mac = token.split(".")
    other_tenant = CallbackTokens([KEY]).token_for("T99").split(".")[1]
    forgeries = [
        "",
        "garbage",
        f"{version}.{other_tenant}.{mac}",  # someone else's tenant under this MAC
        f"{version}.{tenant}.{mac[:-2]}AA",
        f"v2.{tenant}.{mac}",
        f"{version}.!!!.{mac}",
        CallbackTokens(["x" * 40]).token_for("E01:T02"),  # another server's key
    ]
    for forged in forgeries:
        assert tokens.tenant_of(forged) is None, forged


def test_tokens_survive_a_key_rotation_and_short_keys_are_refused() -> None:
    old = CallbackTokens([KEY]).token_for(TENANT)
    rotated = CallbackTokens.from_setting(f"{'n' * 44},{KEY}")
    assert rotated.tenant_of(old) == TENANT
    assert rotated.token_for(TENANT) != old  # the new key signs
    with pytest.raises(ValueError, match="DD0C_TOKEN_KEY"):
        CallbackTokens.from_setting("short")
    with pytest.raises(ValueError, match="DD0C_TOKEN_KEY"):
        CallbackTokens.from_setting(None)


def test_the_quick_create_link_carries_every_parameter_encoded() -> None:
    url = quick_create_url(
        "https://dd0c-cf-templates.s3.amazonaws.com/dd0c-cost-readonly.yaml?versionId=a&b=c",
        "eu-west-1",
        external_id="0f8fad5b-d9cb-469f-a165-70867728950e",
        tenant_token="v1.VDAwMDE.abc-_",
        dd0c_account_id=DD0C_ACCOUNT,
        event_bus_arn=EVENT_BUS,
        callback_url="https://cost.dd0c.example/onboarding/callback",
    )
    parts = urlsplit(url)
    assert parts.netloc == "eu-west-1.console.aws.amazon.com"
    assert parts.path == "/cloudformation/home" and parts.query == "region=eu-west-1"
    route, _, query = parts.fragment.partition("?")
    assert route == "/stacks/quickcreate"
    assert "&b=c" not in query and "%2F" in query  # values are encoded, '/' included
    params = {k: v[0] for k, v in parse_qs(query, strict_parsing=True).items()}
    assert params == {
        "templateURL": (
            "https://dd0c-cf-templates.s3.amazonaws.com/dd0c-cost-readonly.yaml?versionId=a&b=c"
        ),
        "stackName": "dd0c-cost",
        "param_ExternalId": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "param_TenantToken": "v1.VDAwMDE.abc-_",
        "param_Dd0cAccountId": DD0C_ACCOUNT,
        "param_Dd0cEventBusArn": EVENT_BUS,
        "param_CallbackUrl": "https://cost.dd0c.example/onboarding/callback",
    }
    with pytest.raises(ValueError, match="region"):
        quick_create_url("t", "EU", external_id="e", tenant_token="t", dd0c_account_id="1",
                         event_bus_arn="a", callback_url="c")  # fmt: skip


async def test_setup_link_uses_the_stored_external_id_until_the_free_tier_is_full(
    store: Store,
) -> None:
    tokens = CallbackTokens([KEY])
    settings = LinkSettings("https://t.example/r.yaml", EVENT_BUS, "https://x.example/cb")
    link = await setup_link(store, tokens, TENANT, NOW, settings)
    assert link.url is not None and link.problem is None
    params = parse_qs(urlsplit(link.url).fragment.partition("?")[2])
    assert params["param_ExternalId"] == [link.external_id]
    assert params["param_Dd0cAccountId"] == [DD0C_ACCOUNT]
    assert tokens.tenant_of(params["param_TenantToken"][0]) == TENANT
    await connect(store, ACCOUNT)
    full = await setup_link(store, tokens, TENANT, NOW, settings)
    assert full.url is None and full.problem is not None
    assert full.problem.code == "upgrade_required" and ACCOUNT in full.problem.what
    assert full.external_id == link.external_id


# ---------------------------------------------------------------- role checks on moto


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_a_good_role_passes_every_check(moto_endpoint: str) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    faults = acct.faults()
    result = await acct.validate(factory=faults)
    assert result.ok and result.problem is None
    assert result.identity_arn == (
        f"arn:aws:sts::{acct.account_id}:assumed-role/{ROLE_NAME}/dd0c-cost-validate"
    )
    assert result.expires_at is not None and result.checked_at == NOW
    assert faults.names() == [
        "sts.assume_role",
        "sts.get_caller_identity",
        "ec2.describe_regions",
        "sts.assume_role",  # the probe without ExternalId, refused as it must be
    ]
    first = faults.calls[0][1]
    assert first == {
        "RoleArn": acct.role_arn,
        "RoleSessionName": "dd0c-cost-validate",
        "ExternalId": acct.external_id,
        "DurationSeconds": 900,
    }
    assert "ExternalId" not in faults.calls[3][1]


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_the_manual_fallback_connects_a_pasted_role_arn(
    moto_endpoint: str, store: Store
) -> None:
    external_id = await store.tenants.ensure_external_id(TENANT, NOW)
    assert external_id is not None
    acct = await customer(moto_endpoint, external_id)
    pasted = f"  {acct.role_arn} "
    validation = await acct.validate(role_arn=pasted)
    result = await connect_account(
        store, TENANT, acct.account_id, pasted, validation, NOW, by="U123 (role ARN pasted)"
    )
    assert result.outcome == "connected" and result.ok
    account = await store.accounts.get(TENANT, acct.account_id)
    assert account is not None and account.status == "active"
    assert account.role_arn == acct.role_arn and account.stack_id is None
    assert account.learning_started_at == NOW and account.connected_at == NOW
    entries = await store.audit.recent(TENANT, kind="account.connected")
    assert entries[0].message == f"account {acct.account_id} connected by U123 (role ARN pasted)"


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_a_wrong_external_id_explains_both_causes_and_gives_the_expected_one(
    moto_endpoint: str,
) -> None:
    acct = await customer(moto_endpoint, "stack-was-launched-with-this")
    expected = str(uuid.uuid4())
    result = await acct.validate(external_id=expected)
    assert not result.ok and result.problem is not None
    problem = result.problem
    assert problem.code == "external_id_mismatch"
    assert "AccessDenied" in problem.what and acct.role_arn in problem.what
    assert expected in problem.fix and "trust policy" in problem.fix
    assert "does not exist" in problem.fix  # AWS answers the same for a missing role


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_a_role_that_does_not_require_the_external_id_is_refused(
    moto_endpoint: str,
) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    lax = acct.faults(external_id=None)  # moto as is: any AssumeRole succeeds
    result = await acct.validate(factory=lax)
    assert result.problem is not None and result.problem.code == "trust_policy_wrong"
    assert f'"sts:ExternalId": "{acct.external_id}"' in result.problem.fix
    assert "confused deputy" in result.problem.fix


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "dd0c-cost-readonly",
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::1111:role/dd0c-cost-readonly",
        "arn:aws:sts::111122223333:assumed-role/dd0c-cost-readonly/x",
    ],
)
async def test_a_malformed_role_arn_names_the_expected_one_without_calling_aws(
    arn: str,
) -> None:
    faults = Faults(moto_factory("http://127.0.0.1:9"))
    result = await validate_role(ACCOUNT, arn, "e-1", sts_client_factory=faults, now=NOW)
    assert result.problem is not None and result.problem.code == "role_missing"
    assert "is not a valid IAM role ARN" in result.problem.what
    assert f"arn:aws:iam::{ACCOUNT}:role/dd0c-cost-readonly" in result.problem.fix
    assert faults.calls == []


@pytest.mark.slow  # role checks against moto's STS and IAM
@pytest.mark.parametrize(
    ("error", "code", "in_what"),
    [
        (aws_error("NoSuchEntity", "Role not found", "AssumeRole", 404), "role_missing", "does"),
        (
            aws_error("ValidationError", "roleArn is not a valid ARN", "AssumeRole"),
            "role_missing",
            "not a valid",
        ),
        (aws_error("Throttling", "Rate exceeded", "AssumeRole"), "unreachable", "Throttling"),
        (
            aws_error(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                "AssumeRole",
                403,
            ),
            "unreachable",
            "InvalidClientTokenId",
        ),
    ],
)
async def test_assume_role_errors_are_classified(
    moto_endpoint: str, error: ClientError, code: str, in_what: str
) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    result = await acct.validate(factory=acct.faults(errors={"sts.assume_role": error}))
    assert result.problem is not None and result.problem.code == code
    assert in_what in result.problem.what


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_a_denied_read_asks_to_update_the_stack(moto_endpoint: str) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    denied = aws_error(
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. User: "
        f"arn:aws:sts::{acct.account_id}:assumed-role/{ROLE_NAME}/dd0c-cost-validate is not "
        "authorized to perform: ec2:DescribeRegions because no identity-based policy allows "
        "the ec2:DescribeRegions action",
        "DescribeRegions",
        403,
    )
    result = await acct.validate(factory=acct.faults(errors={"ec2.describe_regions": denied}))
    assert result.problem is not None and result.problem.code == "permissions_missing"
    assert "ec2:DescribeRegions" in result.problem.what
    assert "Update the dd0c-cost stack" in result.problem.fix


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_a_role_in_another_account_is_the_wrong_account(moto_endpoint: str) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    faults = acct.faults()
    result = await acct.validate(account_id=ACCOUNT, factory=faults)
    assert result.problem is not None and result.problem.code == "wrong_account"
    assert f"belongs to AWS account {acct.account_id}, not to account {ACCOUNT}" in (
        result.problem.what
    )
    assert expected_role_arn(ACCOUNT) in result.problem.fix
    assert faults.calls == []  # the ARN alone says so


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_an_identity_in_another_account_is_the_wrong_account(moto_endpoint: str) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    elsewhere = {"Account": "222233334444", "Arn": "arn:aws:sts::222233334444:x", "UserId": "u"}
    faults = acct.faults(answers={"sts.get_caller_identity": elsewhere})
    result = await acct.validate(factory=faults)
    assert result.problem is not None and result.problem.code == "wrong_account"
    assert "222233334444" in result.problem.what


@pytest.mark.slow  # role checks against moto's STS and IAM
async def test_a_connected_account_whose_role_is_denied_lost_its_stack(
    moto_endpoint: str,
) -> None:
    acct = await customer(moto_endpoint, str(uuid.uuid4()))
    faults = acct.faults(errors={"sts.assume_role": assume_denied(acct.role_arn)})
    result = await acct.validate(factory=faults, connected=True)
    assert result.problem is not None and result.problem.code == "stack_deleted"
    assert acct.account_id in result.problem.what and acct.external_id in result.problem.fix


async def test_aws_out_of_reach_is_unreachable_not_an_exception() -> None:
    factory = moto_factory(f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    result = await validate_role(
        ACCOUNT, expected_role_arn(ACCOUNT), "e-1", sts_client_factory=factory, now=NOW
    )
    assert result.problem is not None and result.problem.code == "unreachable"
    assert "Try again in a few minutes" in result.problem.fix and ACCOUNT in result.problem.fix


# ---------------------------------------------------------------- connecting


async def test_a_failed_check_connects_nothing_and_is_audited(store: Store) -> None:
    faults = Faults(moto_factory("http://127.0.0.1:9"))
    validation = await validate_role(ACCOUNT, "nope", "e", sts_client_factory=faults, now=NOW)
    result = await connect_account(store, TENANT, ACCOUNT, "nope", validation, NOW)
    assert result.outcome == "invalid" and result.problem == validation.problem
    assert await store.accounts.route(ACCOUNT) is None
    entries = await store.audit.recent(TENANT, kind="account.connect_refused")
    assert entries[0].detail == {"accountId": ACCOUNT, "problem": "role_missing"}
    with pytest.raises(ValueError, match="another account"):
        await connect_account(store, TENANT, "222233334444", "nope", validation, NOW)


async def test_the_free_tier_refuses_a_second_account_until_the_upgrade(store: Store) -> None:
    assert (await connect(store, ACCOUNT)).outcome == "connected"
    second = "222233334444"
    refused = await connect(store, second)
    assert refused.outcome == "upgrade_required" and not refused.ok
    assert refused.problem is not None
    assert refused.problem.what == (
        f"The free plan watches 1 AWS account and this workspace already watches {ACCOUNT}, "
        f"so account {second} cannot be connected."
    )
    assert "Upgrade to Pro" in refused.problem.fix
    assert await store.accounts.route(second) is None
    assert (await connect(store, ACCOUNT)).outcome == "already_connected"  # not a second one
    await set_plan(store, TENANT, "pro")
    assert (await connect(store, second)).outcome == "connected"


async def test_two_accounts_connecting_at_once_on_the_free_tier_keep_one(store: Store) -> None:
    results = await asyncio.gather(*(connect(store, f"30000000000{n}") for n in range(4)))
    assert sorted(r.outcome for r in results) == ["connected"] + ["upgrade_required"] * 3
    assert len(await store.accounts.active(TENANT)) == 1


async def test_another_tenants_account_is_never_taken_over(store: Store) -> None:
    await store.tenants.ensure("T0002", NOW)
    assert (await connect(store, ACCOUNT, "T0002")).outcome == "connected"
    refused = await connect(store, ACCOUNT)
    assert refused.outcome == "account_taken" and refused.problem is not None
    assert "already connected to another dd0c workspace" in refused.problem.what
    owner = await store.accounts.route(ACCOUNT)
    assert owner is not None and owner.tenant_id == "T0002" and owner.status == "active"
    warned = await store.audit.recent("T0002", kind="account.claimed_elsewhere")
    assert len(warned) == 1 and "T0001" not in warned[0].message
    await disconnect_account(store, "T0002", ACCOUNT, "U2", NOW)
    assert (await connect(store, ACCOUNT)).outcome == "account_taken"  # still T0002's


async def test_a_disconnected_account_reconnects_and_learns_again(store: Store) -> None:
    await connect(store, ACCOUNT)
    await disconnect_account(store, TENANT, ACCOUNT, "U1", NOW)
    await purge_disconnected(store, NOW)
    later = NOW + timedelta(days=2)
    result = await connect_account(
        store, TENANT, ACCOUNT, expected_role_arn(ACCOUNT), ok_validation(ACCOUNT), later
    )
    assert result.outcome == "connected" and result.account is not None
    assert result.account.status == "active" and result.account.learning_started_at == later
    assert result.account.disconnect_requested_at is None


# ---------------------------------------------------------------- disconnecting and purging


def pipeline(store: Store) -> Pipeline:
    """The ingest pipeline on the store, at NOW."""
    return Pipeline(store, CATALOGUE, clock=lambda: NOW)


async def feed(p: Pipeline, record: dict[str, Any]) -> None:
    """One CloudTrail record through the pipeline, as one SQS message."""
    n = next(_messages)
    message = Message(
        f"m-{n}", f"rh-{n}", orjson.dumps(record).decode(), record["recipientAccountId"]
    )
    assert (await p.handle(message)).outcome is Outcome.DONE


async def test_events_of_a_disconnecting_account_are_dropped_at_once(store: Store) -> None:
    await connect(store, ACCOUNT)
    p = pipeline(store)
    await feed(p, run_instances("before", NOW, ["i-1"], "p4d.24xlarge"))
    assert await store.events.get(TENANT, "before") is not None
    assert await disconnect_account(store, TENANT, ACCOUNT, "U123", NOW)
    await feed(p, run_instances("after", NOW, ["i-2"], "p4d.24xlarge"))
    assert await store.events.get(TENANT, "after") is None
    assert await store.anomalies.get(TENANT, "after") is None
    dropped = await store.audit.recent(TENANT, kind="ingest.dropped")
    assert [e.message for e in dropped] == [
        f"event after for account {ACCOUNT} dropped: account disconnecting"
    ]
    asked = await store.audit.recent(TENANT, kind="account.disconnecting")
    assert asked[0].detail == {"accountId": ACCOUNT, "by": "U123"}
    account = await store.accounts.get(TENANT, ACCOUNT)
    assert account is not None and account.disconnect_requested_by == "U123"
    assert await disconnect_account(store, TENANT, ACCOUNT, "U9", NOW)  # idempotent
    assert len(await store.audit.recent(TENANT, kind="account.disconnecting")) == 1
    assert not await disconnect_account(store, TENANT, "222233334444", "U9", NOW)


async def test_the_purge_deletes_only_the_disconnected_accounts_data(store: Store) -> None:
    await set_plan(store, TENANT, "pro")
    gone, kept = ACCOUNT, "222233334444"
    p = pipeline(store)
    for account in (gone, kept):
        await connect(store, account)
        await feed(
            p, run_instances(f"{account}-1", NOW, ["i-1", "i-2"], "p4d.24xlarge", account=account)
        )
        await feed(p, run_instances(f"{account}-2", NOW, ["i-3"], "m5.large", account=account))
        await store.coverage.save(
            AccountCoverage(
                id=coverage_id(TENANT, account),
                tenant_id=TENANT,
                account_id=account,
                checked_at=NOW,
            )
        )
        await store.reconciliations.save(
            Reconciliation(
                _id=reconciliation_id(TENANT, account, "2026-12-04"),
                tenant_id=TENANT,
                account_id=account,
                day="2026-12-04",
                estimated_usd=1.0,
                billed_usd=2.0,
                created_at=NOW,
            )
        )
    before_kept = await _counts(store, kept)
    assert await _counts(store, gone) == before_kept and before_kept["events"] == 2
    assert all(before_kept.values())
    await disconnect_account(store, TENANT, gone, "U1", NOW)
    report = await purge_disconnected(store, NOW + timedelta(hours=1))
    assert [(r.account_id, r.deleted) for r in report.purged] == [(gone, before_kept)]
    assert report.failed == [] and report.skipped == []
    assert await _counts(store, gone) == dict.fromkeys(before_kept, 0)
    assert await _counts(store, kept) == before_kept
    record = await store.accounts.get(TENANT, gone)
    assert record is not None and record.status == "disconnected"
    purged = await store.audit.recent(TENANT, kind="account.purged")
    assert purged[0].detail == {"accountId": gone, "deleted": before_kept}
    assert await store.audit.recent(TENANT, kind="account.disconnecting")  # the log stays
    assert (await purge_disconnected(store, NOW + timedelta(hours=2))).purged == []


async def test_the_purge_waits_for_the_grace_and_one_failure_does_not_stop_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_plan(store, TENANT, "pro")
    for account in ("300000000001", "300000000002"):
        await connect(store, account)
        await disconnect_account(store, TENANT, account, "U1", NOW)
    grace = timedelta(hours=24)
    assert (await purge_disconnected(store, NOW + timedelta(hours=1), grace=grace)).purged == []
    real = store.events.delete_account

    async def flaky(tenant_id: str, account_id: str) -> int:
        if account_id == "300000000001":
            raise RuntimeError("disk on fire")
        return await real(tenant_id, account_id)

    monkeypatch.setattr(store.events, "delete_account", flaky)
    report = await purge_disconnected(store, NOW + grace)
    assert [r.account_id for r in report.purged] == ["300000000002"]
    assert [(f.account_id, f.reason) for f in report.failed] == [
        ("300000000001", "RuntimeError: disk on fire")
    ]
    monkeypatch.setattr(store.events, "delete_account", real)
    again = await purge_disconnected(store, NOW + grace)
    assert [r.account_id for r in again.purged] == ["300000000001"]


async def test_reconnecting_while_disconnecting_deletes_the_old_data_first(store: Store) -> None:
    await connect(store, ACCOUNT)
    await feed(pipeline(store), run_instances("old", NOW, ["i-1"], "p4d.24xlarge"))
    await disconnect_account(store, TENANT, ACCOUNT, "U1", NOW)
    result = await connect(store, ACCOUNT)
    assert result.outcome == "connected"
    assert await store.events.count(TENANT, ACCOUNT) == 0
    assert await store.audit.recent(TENANT, kind="account.purged")


async def _counts(store: Store, account_id: str) -> dict[str, int]:
    db = store.connection.db
    names = {
        "events": "cost_events",
        "baselines": "baselines",
        "profiles": "profiles",
        "anomalies": "anomalies",
        "resources": "live_resources",
        "coverage": "coverage",
        "reconciliations": "reconciliations",
    }
    return {
        name: int(await db[col].count_documents({"tenantId": TENANT, "accountId": account_id}))
        for name, col in names.items()
    }
