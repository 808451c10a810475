"""`/dd0c api-key create <name> [read|write]`, `/dd0c api-key list`, `/dd0c api-key revoke <id>`
and `/dd0c upgrade` (seed 9.2, 9.3). Workspace admins (owners included) or the installer only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from bot.blocks.billing import key_created, key_list
from bot.commands.admin import may_govern
from bot.services import SlackServices
from bot.upgrade import ADMINS_ONLY, upgrade_message
from storage.apikeys import MAX_KEYS

logger = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
USAGE = (
    "Usage: `/dd0c api-key create <name> [read|write]`, `/dd0c api-key list`, "
    "`/dd0c api-key revoke <key id>`"
)


async def _create(services: SlackServices, tenant: str, user: str, words: list[str]) -> str:
    if not words or not _NAME.match(words[0]) or len(words) > 2:
        return f"Name the key with letters, digits, `-`, `_` or `.` (up to 40). {USAGE}"
    scope_word = words[1] if len(words) == 2 else "read"
    if scope_word not in ("read", "write"):
        return f"The scope is `read` or `write`. {USAGE}"
    scope: Literal["read", "write"] = "write" if scope_word == "write" else "read"
    now = services.clock()
    made = await services.store.api_keys.create(tenant, words[0], scope, user, now)
    if made is None:
        return f"This workspace has {MAX_KEYS} keys already: revoke one first."
    await services.store.audit.record(
        tenant,
        "apikey.created",
        f"API key {made.key.shown_prefix} ({made.key.name}, {scope}) created by {user}",
        now,
        {"keyId": made.key.id, "scope": scope, "userId": user},
    )
    return key_created(made.secret, made.key)


async def _list(services: SlackServices, tenant: str, user: str, words: list[str]) -> str:
    return key_list(await services.store.api_keys.for_tenant(tenant))


async def _revoke(services: SlackServices, tenant: str, user: str, words: list[str]) -> str:
    if len(words) != 1:
        return USAGE
    now = services.clock()
    if not await services.store.api_keys.revoke(tenant, words[0], user, now):
        return f"No live API key `{words[0]}` in this workspace (see `/dd0c api-key list`)."
    await services.store.audit.record(
        tenant,
        "apikey.revoked",
        f"API key {words[0]} revoked by {user}",
        now,
        {"keyId": words[0], "userId": user},
    )
    return f"API key `{words[0]}` is revoked: it stops working now."


KEY_HANDLERS: dict[str, Callable[[SlackServices, str, str, list[str]], Awaitable[str]]] = {
    "create": _create,
    "list": _list,
    "revoke": _revoke,
}
COMMANDS = ("api-key", "upgrade")


async def handle(
    services: SlackServices,
    client: Any,
    tenant: str,
    user: str | None,
    sub: str,
    words: list[str],
    respond: Respond,
) -> None:
    """Run `api-key …` or `upgrade` after the permission check; answers are ephemeral."""
    if user is None or not await may_govern(services, client, tenant, user):
        await respond(text=ADMINS_ONLY, response_type="ephemeral")
        return
    if sub == "upgrade":
        blocks = await upgrade_message(services, tenant, user)
        await respond(text="Upgrade to Pro", blocks=blocks, response_type="ephemeral")
        return
    handler = KEY_HANDLERS.get(words[0] if words else "")
    text = await handler(services, tenant, user, words[1:]) if handler else USAGE
    await respond(text=text, response_type="ephemeral")
