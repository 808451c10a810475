"""The one-click connection: a tenant's ExternalId, its callback token, the quick-create link.

The link opens the AWS console on a pre-filled "create stack" page for the read-only template
(AWS docs, "Create quick-create links for stacks": `templateURL`, `stackName`, and
`param_<Name>` for each template parameter; NoEcho parameters are ignored, so TenantToken must
not be NoEcho). The stack then calls back `POST /onboarding/callback` (onboarding.callback) with
the account id, the role ARN, the ExternalId and the TenantToken.

Tenant token (how the callback knows which workspace a stack belongs to):
`v1.<base64url(tenant id)>.<base64url(HMAC-SHA256(k, tenant id))>`, where `k` is derived with
HKDF-SHA256 from DD0C_TOKEN_KEY (its own `info` string, so it is never the key that encrypts
Slack tokens). Nothing is stored: the link can be rebuilt at any time with the same token, and
the callback verifies it with every key in DD0C_TOKEN_KEY (the first signs; older keys still
verify during a rotation). A forged or altered token fails the HMAC; knowing a token lets one
speak for that workspace's stacks only, and a create must still pass the role check with the
workspace's ExternalId. Revoking every token means removing a key from DD0C_TOKEN_KEY.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from onboarding.lifecycle import upgrade_needed
from onboarding.messages import STACK_NAME, Problem
from storage import Store

SETTING = "DD0C_TOKEN_KEY"
MIN_KEY = 32
CALLBACK_PATH = "/onboarding/callback"
# Changing either string invalidates every tenant token in every deployed stack.
_HKDF_INFO = b"dd0c-cost callback-token v1"
_MAC_PREFIX = b"dd0c-cost tenant:"
_VERSION = "v1"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_EVENT_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:(\d{12}):event-bus/[\w.\-/]+$")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return hkdf.derive(secret.encode("utf-8"))


class CallbackTokens:
    """Signs and verifies the tenant tokens carried by the stacks (keys from DD0C_TOKEN_KEY)."""

    def __init__(self, keys: Sequence[str]) -> None:
        cleaned = [key.strip() for key in keys if key.strip()]
        if not cleaned:
            raise ValueError(f"{SETTING} is not set: the callback tokens need a key")
        for n, key in enumerate(cleaned, start=1):
            if len(key) < MIN_KEY:
                raise ValueError(f"{SETTING}: key {n} is shorter than {MIN_KEY} characters")
        self._keys = [_mac_key(key) for key in cleaned]

    @classmethod
    def from_setting(cls, value: str | None) -> CallbackTokens:
        """The signer for DD0C_TOKEN_KEY's value (comma-separated keys, the first signs)."""
        return cls((value or "").split(","))

    def token_for(self, tenant_id: str) -> str:
        """The tenant's token (the same every time: it can be rebuilt whenever a link is)."""
        mac = self._mac(self._keys[0], tenant_id)
        return f"{_VERSION}.{_b64(tenant_id.encode('utf-8'))}.{_b64(mac)}"

    def tenant_of(self, token: str) -> str | None:
        """The tenant a token was made for, or None when no key of DD0C_TOKEN_KEY made it."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            return None
        try:
            tenant_id = _unb64(parts[1]).decode("utf-8")
            mac = _unb64(parts[2])
        except (binascii.Error, ValueError):
            return None
        if not tenant_id:
            return None
        for key in self._keys:
            if hmac.compare_digest(mac, self._mac(key, tenant_id)):
                return tenant_id
        return None

    @staticmethod
    def _mac(key: bytes, tenant_id: str) -> bytes:
        return hmac.new(key, _MAC_PREFIX + tenant_id.encode("utf-8"), hashlib.sha256).digest()


def quick_create_url(
    template_url: str,
    region: str,
    *,
    external_id: str,
    tenant_token: str,
    dd0c_account_id: str,
    event_bus_arn: str,
    callback_url: str,
    stack_name: str = STACK_NAME,
) -> str:
    """The AWS console link that opens the pre-filled "create stack" page for our template."""
    if not _REGION.match(region):
        raise ValueError(f"not an AWS region: {region!r}")
    if not _STACK_NAME.match(stack_name):
        raise ValueError(f"not a CloudFormation stack name: {stack_name!r}")
    params = {
        "templateURL": template_url,
        "stackName": stack_name,
        "param_ExternalId": external_id,
        "param_TenantToken": tenant_token,
        "param_Dd0cAccountId": dd0c_account_id,
        "param_Dd0cEventBusArn": event_bus_arn,
        "param_CallbackUrl": callback_url,
    }
    query = urlencode(params, quote_via=quote, safe="")
    return (
        f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}"
        f"#/stacks/quickcreate?{query}"
    )


def callback_url(public_url: str) -> str:
    """The callback endpoint under DD0C_PUBLIC_URL."""
    return public_url.rstrip("/") + CALLBACK_PATH


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Where the template lives and what every stack points back to (from the settings)."""

    template_url: str
    event_bus_arn: str  # dd0c-cost-bus (the platform stack's EventBusArn output)
    callback_url: str
    region: str = "us-east-1"

    @property
    def dd0c_account_id(self) -> str:
        """dd0c's AWS account: the event bus's account (the role trusts it)."""
        match = _EVENT_BUS_ARN.match(self.event_bus_arn)
        if match is None:
            raise ValueError(f"not an EventBridge event bus ARN: {self.event_bus_arn!r}")
        return match.group(1)


@dataclass(frozen=True, slots=True)
class SetupLink:
    """What "Connect AWS account" shows: the link, or why there is none (free tier)."""

    external_id: str | None
    url: str | None = None
    problem: Problem | None = None


async def setup_link(
    store: Store,
    tokens: CallbackTokens,
    tenant_id: str,
    now: datetime,
    settings: LinkSettings,
    *,
    free_limit: int = 1,
) -> SetupLink:
    """The tenant's quick-create link (its ExternalId made on first use), unless over the free
    tier (seed story 9.1: checked here, and again when the stack calls back)."""
    external_id = await store.tenants.ensure_external_id(tenant_id, now)
    if external_id is None:
        raise LookupError(f"no tenant {tenant_id!r}")
    problem = await upgrade_needed(store, tenant_id, None, free_limit=free_limit)
    if problem is not None:
        return SetupLink(external_id=external_id, problem=problem)
    url = quick_create_url(
        settings.template_url,
        settings.region,
        external_id=external_id,
        tenant_token=tokens.token_for(tenant_id),
        dd0c_account_id=settings.dd0c_account_id,
        event_bus_arn=settings.event_bus_arn,
        callback_url=settings.callback_url,
    )
    return SetupLink(external_id=external_id, url=url)
