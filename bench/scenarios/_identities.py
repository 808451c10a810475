"""Who makes the calls: `userIdentity` blocks in the shape CloudTrail logs for each type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from bench.scenarios._ids import access_key, hex_string, timestamp, unique_id

CLI = (
    "aws-cli/2.17.{v} md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1022-aws md/arch#x86_64 "
    "lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#ubuntu.22 md/prompt#off"
)
MAC_CLI = (
    "aws-cli/2.15.{v} md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off"
)
BOTO3 = (
    "Boto3/1.35.{v} md/Botocore#1.35.{v} ua/2.0 os/linux#5.10.226-214.880.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.{v}"
)
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.{v} (+https://www.terraform.io) "
    "terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64"
)
CONSOLE = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36"
)
GITHUB_PROVIDER = "token.actions.githubusercontent.com"


@dataclass
class Actor:
    """A principal and how it calls AWS (address, user agent, console or API)."""

    kind: str
    account: str
    name: str
    source_ip: str
    user_agent: str
    principal_id: str = ""
    access_key: str = ""
    session: str = ""
    role_path: str = "/"
    invoked_by: str | None = None
    web_provider: str | None = None
    console: bool = False
    _session_keys: dict[date, str] = field(default_factory=dict, repr=False)

    @property
    def arn(self) -> str:
        """The ARN CloudTrail logs for this actor."""
        kinds = {
            "IAMUser": f"arn:aws:iam::{self.account}:user/{self.name}",
            "AssumedRole": f"arn:aws:sts::{self.account}:assumed-role/{self.name}/{self.session}",
            "Root": f"arn:aws:iam::{self.account}:root",
        }
        return kinds.get(self.kind, "")

    @property
    def is_service(self) -> bool:
        """True when an AWS service made the call on the account's behalf."""
        return self.invoked_by is not None

    def with_session(self, session: str) -> Actor:
        """The same role under another session name (an instance id, a CI run)."""
        return Actor(
            kind=self.kind,
            account=self.account,
            name=self.name,
            source_ip=self.source_ip,
            user_agent=self.user_agent,
            principal_id=self.principal_id,
            session=session,
            role_path=self.role_path,
            invoked_by=self.invoked_by,
            web_provider=self.web_provider,
        )

    def identity(self, when: datetime, rng: Random) -> dict[str, Any]:
        """The `userIdentity` block for a call made at `when`."""
        builders = {
            "IAMUser": self._iam_user,
            "AssumedRole": self._assumed_role,
            "Root": self._root,
            "WebIdentityUser": self._web_identity,
        }
        build = builders.get(self.kind)
        if build is None:
            return {"type": self.kind, "invokedBy": self.invoked_by}
        return build(when, rng)

    def sign_in_identity(self) -> dict[str, Any]:
        """The `userIdentity` of a ConsoleLogin event (no access key yet)."""
        out: dict[str, Any] = {"type": self.kind, "principalId": self.principal_id}
        out["arn"] = self.arn
        out["accountId"] = self.account
        if self.kind == "IAMUser":
            out["userName"] = self.name
        return out

    def _session_key(self, when: datetime, rng: Random) -> str:
        day = when.date()
        if day not in self._session_keys:
            self._session_keys[day] = access_key(rng, temporary=True)
        return self._session_keys[day]

    def _attributes(self, when: datetime, mfa: bool) -> dict[str, str]:
        started = when - timedelta(minutes=when.minute % 47, seconds=when.second % 31 + 3)
        return {"creationDate": timestamp(started), "mfaAuthenticated": "true" if mfa else "false"}

    def _iam_user(self, when: datetime, rng: Random) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "IAMUser",
            "principalId": self.principal_id,
            "arn": self.arn,
            "accountId": self.account,
            "accessKeyId": self._session_key(when, rng) if self.console else self.access_key,
            "userName": self.name,
        }
        if self.console:
            out["sessionContext"] = {
                "sessionIssuer": {},
                "webIdFederationData": {},
                "attributes": self._attributes(when, mfa=True),
            }
        return out

    def _assumed_role(self, when: datetime, rng: Random) -> dict[str, Any]:
        federation: dict[str, Any] = {}
        if self.web_provider:
            provider = f"arn:aws:iam::{self.account}:oidc-provider/{self.web_provider}"
            federation = {"federatedProvider": provider, "attributes": {}}
        out: dict[str, Any] = {
            "type": "AssumedRole",
            "principalId": f"{self.principal_id}:{self.session}",
            "arn": self.arn,
            "accountId": self.account,
            "accessKeyId": self._session_key(when, rng),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": self.principal_id,
                    "arn": f"arn:aws:iam::{self.account}:role{self.role_path}{self.name}",
                    "accountId": self.account,
                    "userName": self.name,
                },
                "webIdFederationData": federation,
                "attributes": self._attributes(when, mfa=False),
            },
        }
        if self.invoked_by:
            out["invokedBy"] = self.invoked_by
        return out

    def _web_identity(self, when: datetime, rng: Random) -> dict[str, Any]:
        provider = f"arn:aws:iam::{self.account}:oidc-provider/{self.web_provider}"
        return {
            "type": "WebIdentityUser",
            "principalId": f"{provider}:sts.amazonaws.com:{self.name}",
            "userName": self.name,
            "identityProvider": provider,
        }

    def _root(self, when: datetime, rng: Random) -> dict[str, Any]:
        return {
            "type": "Root",
            "principalId": self.account,
            "arn": self.arn,
            "accountId": self.account,
            "accessKeyId": self._session_key(when, rng),
            "sessionContext": {
                "sessionIssuer": {},
                "webIdFederationData": {},
                "attributes": self._attributes(when, mfa=True),
            },
        }


def iam_user(
    rng: Random, account: str, name: str, ip: str, agent: str, *, console: bool = False
) -> Actor:
    """An IAM user calling with its long-term access key (or through the console)."""
    return Actor(
        kind="IAMUser",
        account=account,
        name=name,
        source_ip=ip,
        user_agent=agent,
        principal_id=unique_id(rng, "AIDA"),
        access_key=access_key(rng, temporary=False),
        console=console,
    )


def role(
    rng: Random,
    account: str,
    name: str,
    session: str,
    ip: str,
    agent: str,
    *,
    path: str = "/",
    invoked_by: str | None = None,
    web_provider: str | None = None,
) -> Actor:
    """A session of an assumed IAM role."""
    return Actor(
        kind="AssumedRole",
        account=account,
        name=name,
        source_ip=ip,
        user_agent=agent,
        principal_id=unique_id(rng, "AROA"),
        session=session,
        role_path=path,
        invoked_by=invoked_by,
        web_provider=web_provider,
    )


def sso_user(rng: Random, account: str, permission_set: str, email: str, ip: str) -> Actor:
    """An IAM Identity Center (SSO) user: an AWSReservedSSO_ role session named by e-mail."""
    suffix = hex_string(rng, 16)
    return role(
        rng,
        account,
        f"AWSReservedSSO_{permission_set}_{suffix}",
        email,
        ip,
        MAC_CLI,
        path="/aws-reserved/sso.amazonaws.com/",
    )


def autoscaling_role(rng: Random, account: str) -> Actor:
    """Amazon EC2 Auto Scaling's service-linked role, as its launches are logged."""
    return role(
        rng,
        account,
        "AWSServiceRoleForAutoScaling",
        "AutoScaling",
        "autoscaling.amazonaws.com",
        "autoscaling.amazonaws.com",
        path="/aws-service-role/autoscaling.amazonaws.com/",
        invoked_by="autoscaling.amazonaws.com",
    )


def aws_service(account: str, service: str) -> Actor:
    """An AWS service acting itself (AssumeRole on behalf of Lambda, Auto Scaling, …)."""
    return Actor(
        kind="AWSService",
        account=account,
        name=service,
        source_ip=service,
        user_agent=service,
        invoked_by=service,
    )


def root(account: str, ip: str) -> Actor:
    """The account's root user, in the console."""
    return Actor(
        kind="Root",
        account=account,
        name="root",
        source_ip=ip,
        user_agent=CONSOLE,
        principal_id=account,
        console=True,
    )


def web_identity(account: str, provider: str, subject: str, ip: str, user_agent: str) -> Actor:
    """An OIDC identity (a GitHub Actions job) exchanging its token for role credentials."""
    return Actor(
        kind="WebIdentityUser",
        account=account,
        name=subject,
        source_ip=ip,
        user_agent=user_agent,
        web_provider=provider,
    )


def agent(template: str, rng: Random) -> str:
    """A user agent from a template, with a plausible patch version."""
    return template.format(v=rng.randint(2, 40))
