"""`/dd0c …`: ack at once, then answer through the response_url (ephemeral unless `share`).

/dd0c status                         accounts, learning days left, burn rate, mode, open count
/dd0c anomalies [open|all] [since 24h|7d] [page N]
/dd0c digest                         today's summary on demand
/dd0c connect                        the AWS connection modal
/dd0c pause | resume                 panic mode for this workspace (admins or the installer)
/dd0c mode <account> strict|audit    per-account governance override (only more restrictive)
/dd0c sensitivity <account> <service> <type> low|medium|high
/dd0c help | anything else           the help
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import queries
from bot.blocks import (
    Message,
    anomaly_list,
    digest_message,
    help_message,
    status_message,
    to_dicts,
)
from bot.blocks.connect import connect_modal
from bot.commands import admin
from bot.messages import UNKNOWN_WORKSPACE
from bot.services import SlackServices, tenant_of

logger = logging.getLogger(__name__)

PAGE_SIZE = 10
_SINCE = re.compile(r"^(\d{1,4})([hd])$")


@dataclass(frozen=True, slots=True)
class Query:
    """What `/dd0c anomalies …` asked for."""

    scope: str = "open"
    since: str | None = None
    page: int = 1


def parse_anomalies(words: list[str]) -> Query:
    """`[open|all] [since 24h|7d] [page N]`, in any order; unknown words are ignored."""
    scope, since, page = "open", None, 1
    rest = iter(words)
    for word in rest:
        if word in ("open", "all"):
            scope = word
        elif word == "since":
            since = next(rest, None)
        elif word == "page":
            number = next(rest, "1")
            page = int(number) if number.isdigit() else 1
        elif _SINCE.match(word):
            since = word
    if since is not None and not _SINCE.match(since):
        since = None
    return Query(scope, since, max(page, 1))


def since_delta(since: str | None) -> timedelta | None:
    """'24h' -> 24 hours, '7d' -> 7 days, None -> None."""
    match = _SINCE.match(since or "")
    if match is None:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


async def _status(services: SlackServices, tenant: str, words: list[str]) -> Message:
    now = services.clock()
    seen = await queries.overview(services.store, tenant, open_limit=1)
    mode = queries.mode(seen.accounts, now, await services.paused(tenant))
    learning_days = int(queries.LEARNING_DAYS)
    return status_message(
        seen.accounts,
        seen.burn,
        seen.open_count,
        mode,
        now,
        learning_days,
        coverage=seen.coverage,
    )


async def anomalies_page(services: SlackServices, tenant: str, query: Query) -> Message:
    """One page of the tenant's anomalies (also used by the pagination buttons)."""
    now = services.clock()
    delta = since_delta(query.since)
    since = now - delta if delta else None
    open_only = query.scope == "open"
    store = services.store.anomalies
    total = await store.count(tenant, open_only=open_only, since=since)
    found = await store.recent(
        tenant,
        since=since,
        open_only=open_only,
        limit=PAGE_SIZE,
        skip=(query.page - 1) * PAGE_SIZE,
    )
    title = "Open anomalies" if open_only else "All anomalies"
    if query.since:
        title += f" (last {query.since})"
    return anomaly_list(
        found,
        title=title,
        page=query.page,
        page_size=PAGE_SIZE,
        total=total,
        now=now,
        scope="open" if open_only else "all",
        since=query.since,
    )


async def _anomalies(services: SlackServices, tenant: str, words: list[str]) -> Message:
    return await anomalies_page(services, tenant, parse_anomalies(words))


async def _digest(services: SlackServices, tenant: str, words: list[str]) -> Message:
    now = services.clock()
    return digest_message(await queries.digest(services.store, tenant, now), now)


async def _help(services: SlackServices, tenant: str, words: list[str]) -> Message:
    return help_message()


Reply = Callable[[SlackServices, str, list[str]], Awaitable[Message]]
REPLIES: dict[str, Reply] = {
    "status": _status,
    "anomalies": _anomalies,
    "digest": _digest,
    "help": _help,
}


def split(text: str | None) -> tuple[str, list[str], bool]:
    """(subcommand, its words, share?) from the command text."""
    words = (text or "").lower().split()
    share = bool(words) and words[-1] == "share"
    if share:
        words = words[:-1]
    return (words[0] if words else "help"), words[1:], share


def register(app: AsyncApp, services: SlackServices) -> None:
    """Listen for /dd0c."""

    @app.command("/dd0c")
    async def dd0c(
        ack: Any, command: dict[str, Any], context: Any, respond: Any, client: Any
    ) -> None:
        await ack()
        tenant = tenant_of(context)
        sub, words, share = split(command.get("text"))
        if tenant is None:
            await respond(text=UNKNOWN_WORKSPACE)
            return
        if sub == "connect":
            view = (
                await services.onboarding.modal(tenant) if services.onboarding else connect_modal()
            )
            await client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        if sub in admin.HANDLERS:

            async def reply_text(text: str) -> None:
                await respond(text=text, response_type="ephemeral")

            user = command.get("user_id")
            await admin.handle(services, client, tenant, user, sub, words, reply_text)
            return
        reply = REPLIES.get(sub, _help)
        message = await reply(services, tenant, words)
        await respond(
            text=message.text,
            blocks=to_dicts(message.blocks),
            response_type="in_channel" if share else "ephemeral",
        )
