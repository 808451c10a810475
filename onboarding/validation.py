"""Checking a customer's role before an account is connected (seed story 4.4).

`validate_role` proves, with the customer's role and nothing else, that dd0c can work there:

1. the ARN is an IAM role ARN in the account being connected (no AWS call needed);
2. `sts:AssumeRole` with the tenant's ExternalId (session `dd0c-cost-validate`, 900 s);
3. with those credentials, `sts:GetCallerIdentity` answers from the same account;
4. `ec2:DescribeRegions`, a harmless read the role must allow, is allowed;
5. `sts:AssumeRole` WITHOUT the ExternalId is refused. AWS ignores an ExternalId the trust
   policy does not ask for, so success in step 2 alone does not prove the role requires it;
   a role that lets dd0c in without it is refused (`trust_policy_wrong`).

The outcome is a `Validation` the caller branches on: customer mistakes and AWS hiccups are
`Problem`s (onboarding.messages), never exceptions. AWS answers AccessDenied to AssumeRole
whatever the reason (wrong ExternalId, trust policy, or no such role in another account), so
that one answer becomes `external_id_mismatch`, whose text names all three.

AWS is reached through an injected `ClientFactory` (aioboto3's `Session.client` shape), so tests
can run against moto's server and wrap it to inject the errors moto never returns. Credentials
obtained here are used for the checks and dropped; they are never logged or stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from onboarding import messages
from onboarding._aws import HOME_REGION, describe_error, error_code
from onboarding.messages import Problem

if TYPE_CHECKING:
    import aioboto3

logger = logging.getLogger(__name__)

SESSION_NAME = "dd0c-cost-validate"
PROBE_SESSION_NAME = "dd0c-cost-validate-no-external-id"
DURATION_SECONDS = 900
ROLE_ARN = re.compile(
    r"^arn:(?:aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$"
)
ACCOUNT_ID = re.compile(r"^\d{12}$")

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_ROLE_MISSING = frozenset({"NoSuchEntity", "NoSuchEntityException"})
_MALFORMED = frozenset({"ValidationError", "InvalidParameterValue", "MalformedInput"})
_NETWORK = (BotoCoreError, OSError, TimeoutError)


class ClientFactory(Protocol):
    """Makes an async AWS client context, like `aioboto3.Session.client`."""

    def __call__(
        self,
        service_name: str,
        *,
        region_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
    ) -> AbstractAsyncContextManager[Any]: ...


def aioboto3_factory(
    session: aioboto3.Session, *, endpoint_url: str | None = None, config: AioConfig | None = None
) -> ClientFactory:
    """A factory over an aioboto3 session (endpoint None: botocore's own, or AWS_ENDPOINT_URL)."""
    chosen = config or AioConfig(
        connect_timeout=5, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 3}
    )

    def make(
        service_name: str,
        *,
        region_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
    ) -> AbstractAsyncContextManager[Any]:
        make_client: Any = session.client  # the service name is a runtime value: no overload
        return make_client(
            service_name,
            region_name=region_name,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            config=chosen,
        )

    return make


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of a role check: ok, or the one `problem` to show the customer."""

    ok: bool
    account_id: str
    role_arn: str
    checked_at: datetime
    expires_at: datetime | None = None  # when the validation credentials expire
    identity_arn: str | None = None  # what GetCallerIdentity said the session is
    problem: Problem | None = None


Validator = Callable[[str, str, str], Awaitable[Validation]]


def validator(
    factory: ClientFactory, clock: Callable[[], datetime], *, region: str = HOME_REGION
) -> Validator:
    """`validate_role` bound to a client factory and a clock: (account, role ARN, ExternalId)."""

    async def validate(account_id: str, role_arn: str, external_id: str) -> Validation:
        return await validate_role(
            account_id,
            role_arn,
            external_id,
            sts_client_factory=factory,
            now=clock(),
            region=region,
        )

    return validate


@dataclass(frozen=True, slots=True)
class _Case:
    account_id: str
    role_arn: str
    external_id: str
    connected: bool
    region: str


@dataclass(frozen=True, slots=True)
class _Session:
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: datetime | None = None


class _Failed(Exception):
    """A check failed; carries what to tell the customer."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


async def validate_role(
    account_id: str,
    role_arn: str,
    external_id: str,
    *,
    sts_client_factory: ClientFactory,
    now: datetime,
    connected: bool = False,
    region: str = HOME_REGION,
) -> Validation:
    """Check that dd0c can use `role_arn` in `account_id` with `external_id` (never raises for
    customer mistakes). `connected`: the account was working before, so a denial now means its
    stack was deleted (`stack_deleted`)."""
    case = _Case(account_id.strip(), role_arn.strip(), external_id, connected, region)
    try:
        _check_arn(case)
        session = await _assume(sts_client_factory, case)
        identity = await _caller_identity(sts_client_factory, session, case)
        await _read(sts_client_factory, session, case)
        await _refused_without_external_id(sts_client_factory, case)
    except _Failed as failed:
        logger.info(
            "role check failed: %s",
            failed.problem.code,
            extra={"account_id": case.account_id, "problem": failed.problem.code},
        )
        return Validation(False, case.account_id, case.role_arn, now, problem=failed.problem)
    return Validation(
        True,
        case.account_id,
        case.role_arn,
        now,
        expires_at=session.expires_at,
        identity_arn=identity,
    )


def _check_arn(case: _Case) -> None:
    if not ACCOUNT_ID.match(case.account_id):
        raise _Failed(messages.role_missing(case.account_id, case.role_arn, malformed=True))
    match = ROLE_ARN.match(case.role_arn)
    if match is None:
        raise _Failed(messages.role_missing(case.account_id, case.role_arn, malformed=True))
    if match.group(1) != case.account_id:
        raise _Failed(messages.wrong_account(case.account_id, case.role_arn, match.group(1)))


async def _assume(factory: ClientFactory, case: _Case) -> _Session:
    try:
        async with factory("sts", region_name=case.region) as sts:
            answer = await sts.assume_role(
                RoleArn=case.role_arn,
                RoleSessionName=SESSION_NAME,
                ExternalId=case.external_id,
                DurationSeconds=DURATION_SECONDS,
            )
    except (ClientError, *_NETWORK) as exc:
        raise _Failed(_assume_problem(exc, case)) from exc
    creds = answer["Credentials"]
    return _Session(
        creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], creds["Expiration"]
    )


def _assume_problem(exc: BaseException, case: _Case) -> Problem:
    code = error_code(exc)
    if code in _DENIED:
        if case.connected:
            return messages.stack_deleted(
                case.account_id, case.role_arn, case.external_id, disconnected=False
            )
        return messages.external_id_mismatch(case.account_id, case.role_arn, case.external_id)
    if code in _ROLE_MISSING:
        return messages.role_missing(case.account_id, case.role_arn, malformed=False)
    if code in _MALFORMED:
        return messages.role_missing(case.account_id, case.role_arn, malformed=True)
    return _unreachable(exc, case)


def _unreachable(exc: BaseException, case: _Case) -> Problem:
    detail = describe_error(exc)
    # InvalidClientTokenId, ExpiredToken, SignatureDoesNotMatch...: dd0c's own credentials.
    logger.warning(
        "AWS call failed during a role check: %s", detail, extra={"account_id": case.account_id}
    )
    return messages.unreachable(case.account_id, case.role_arn, error_code(exc) or "no answer")


def _as(session: _Session) -> dict[str, str]:
    return {
        "aws_access_key_id": session.access_key_id,
        "aws_secret_access_key": session.secret_access_key,
        "aws_session_token": session.session_token,
    }


async def _caller_identity(factory: ClientFactory, session: _Session, case: _Case) -> str:
    try:
        async with factory("sts", region_name=case.region, **_as(session)) as sts:
            identity = await sts.get_caller_identity()
    except (ClientError, *_NETWORK) as exc:
        raise _Failed(_unreachable(exc, case)) from exc
    if identity.get("Account") != case.account_id:
        found = str(identity.get("Account"))
        raise _Failed(messages.wrong_account(case.account_id, case.role_arn, found))
    return str(identity.get("Arn", ""))


async def _read(factory: ClientFactory, session: _Session, case: _Case) -> None:
    try:
        async with factory("ec2", region_name=case.region, **_as(session)) as ec2:
            await ec2.describe_regions()
    except (ClientError, *_NETWORK) as exc:
        if error_code(exc) in _DENIED:
            raise _Failed(messages.permissions_missing(case.account_id, case.role_arn)) from exc
        raise _Failed(_unreachable(exc, case)) from exc


async def _refused_without_external_id(factory: ClientFactory, case: _Case) -> None:
    try:
        async with factory("sts", region_name=case.region) as sts:
            await sts.assume_role(
                RoleArn=case.role_arn,
                RoleSessionName=PROBE_SESSION_NAME,
                DurationSeconds=DURATION_SECONDS,
            )
    except (ClientError, *_NETWORK) as exc:
        if error_code(exc) in _DENIED:
            return  # the trust policy requires the ExternalId, as it must
        raise _Failed(_unreachable(exc, case)) from exc
    raise _Failed(messages.trust_policy_wrong(case.account_id, case.role_arn, case.external_id))


__all__ = [
    "ClientFactory",
    "Validation",
    "Validator",
    "aioboto3_factory",
    "validate_role",
    "validator",
]
