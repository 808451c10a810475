"""`/dd0c pause`, `/dd0c resume`, `/dd0c mode <account> strict|audit` and
`/dd0c sensitivity <account> <service> <type> low|medium|high` (seed 10.5, 5.3).

Only workspace admins (owners included) or the installer may use them. Pause and resume are
announced in the alert channel; resume posts only a summary of what was held.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, ValidationError, field_validator, model_validator
from slack_sdk.errors import SlackApiError

from bot import messages
from bot.services import SlackServices
from engine import BaselineKey

logger = logging.getLogger(__name__)

_ACCOUNT = re.compile(r"^\d{12}$")
Reply = Callable[[str], Awaitable[Any]]


class SensitivityRequest(BaseModel):
    """`/dd0c sensitivity` parsed and validated."""

    account: str
    service: str
    resource_type: str
    level: Literal["low", "medium", "high"]

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        if not _ACCOUNT.match(value):
            raise ValueError("an AWS account id is 12 digits")
        return value

    @model_validator(mode="after")
    def _type_of_service(self) -> SensitivityRequest:
        if not self.resource_type.startswith(f"{self.service}:"):
            raise ValueError(f"the resource type must be one of {self.service}'s (service:type)")
        return self


async def may_govern(services: SlackServices, client: Any, tenant: str, user: str | None) -> bool:
    """Whether `user` is the installer or a workspace admin/owner (users.info)."""
    if not user:
        return False
    installed = await services.store.tenants.get(tenant)
    if installed is not None and installed.installer_user_id == user:
        return True
    try:
        answer = await client.users_info(user=user)
    except SlackApiError as exc:
        logger.warning(
            "users.info failed: %s", exc.response.get("error"), extra={"tenant_id": tenant}
        )
        return False
    person = answer.get("user") or {}
    return any(bool(person.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner"))


async def _announce(services: SlackServices, client: Any, tenant: str, text: str) -> bool:
    """Post `text` in the alert channel; False when there is none or Slack refused."""
    installed = await services.store.tenants.get(tenant)
    if installed is None or not installed.alert_channel:
        return False
    try:
        await client.chat_postMessage(channel=installed.alert_channel, text=text)
    except SlackApiError as exc:
        logger.warning(
            "announcement refused: %s", exc.response.get("error"), extra={"tenant_id": tenant}
        )
        return False
    return True


async def _pause(
    services: SlackServices, client: Any, tenant: str, user: str, words: list[str], reply: Reply
) -> None:
    assert services.governance is not None
    if not await services.governance.pause(tenant, user):
        await reply(messages.ALREADY_PAUSED)
        return
    text = messages.paused_by(user)
    if not await _announce(services, client, tenant, text):
        await reply(text)
        return
    await reply("Paused. The alert channel was told.")


async def _resume(
    services: SlackServices, client: Any, tenant: str, user: str, words: list[str], reply: Reply
) -> None:
    governance = services.governance
    assert governance is not None
    resumed = await governance.resume(tenant, user)
    still = messages.STILL_GLOBAL if await governance.paused(tenant) else ""
    if not resumed.was.paused:
        await reply(messages.NOT_PAUSED + still)
        return
    text = messages.resumed_by(user, resumed.total, resumed.by_severity) + still
    if not await _announce(services, client, tenant, text):
        await reply(text)
        return
    await reply("Resumed. The alert channel got the summary." + still)


async def _mode(
    services: SlackServices, client: Any, tenant: str, user: str, words: list[str], reply: Reply
) -> None:
    assert services.governance is not None
    if len(words) != 2 or not _ACCOUNT.match(words[0]) or words[1] not in ("strict", "audit"):
        await reply(messages.MODE_USAGE)
        return
    mode: Literal["strict", "audit"] = "strict" if words[1] == "strict" else "audit"
    change = await services.governance.set_override(tenant, words[0], mode, user)
    await reply(change.message)


async def _sensitivity(
    services: SlackServices, client: Any, tenant: str, user: str, words: list[str], reply: Reply
) -> None:
    try:
        request = SensitivityRequest.model_validate(
            dict(zip(("account", "service", "resource_type", "level"), words, strict=False))
            if len(words) == 4
            else {}
        )
    except ValidationError as exc:
        problem = exc.errors(include_url=False, include_input=False)[0]["msg"]
        await reply(f"{problem.removeprefix('Value error, ')}. {messages.SENSITIVITY_USAGE}")
        return
    store = services.store
    if await store.accounts.get(tenant, request.account) is None:
        await reply(f"Account {request.account} is not connected to this workspace.")
        return
    key = BaselineKey(request.account, request.service, request.resource_type)
    await store.baselines.set_sensitivity(tenant, key, request.level)
    sentence = messages.sensitivity_set(
        request.account, request.service, request.resource_type, request.level, user
    )
    detail = request.model_dump() | {"userId": user}
    await store.audit.record(tenant, "baseline.sensitivity", sentence, services.clock(), detail)
    await reply(sentence)


Handler = Callable[[SlackServices, Any, str, str, list[str], Reply], Awaitable[None]]
HANDLERS: dict[str, Handler] = {
    "pause": _pause,
    "resume": _resume,
    "mode": _mode,
    "sensitivity": _sensitivity,
}


async def handle(
    services: SlackServices,
    client: Any,
    tenant: str,
    user: str | None,
    sub: str,
    words: list[str],
    reply: Reply,
) -> None:
    """Run one governance sub-command after the permission check."""
    if services.governance is None and sub != "sensitivity":
        await reply(messages.NO_GOVERNANCE)
        return
    if user is None or not await may_govern(services, client, tenant, user):
        await reply(messages.ADMINS_ONLY)
        return
    await HANDLERS[sub](services, client, tenant, user, words, reply)
