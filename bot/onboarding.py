"""Connecting and disconnecting AWS accounts from Slack (seed 4.3, 4.4, 5.1, 6.2, 9.1).

`/dd0c connect` and the App Home button open the modal (quick-create link with the tenant's
ExternalId, or the manual fallback); a submitted role is validated with STS and connected; the
stack's callback (onboarding/callback.py) ends in `connected` too: the alert channel is told and
the zombie scan runs. Disconnect (App Home, confirmed) stops alerts at once; the purge job deletes
the account's data within 72 hours.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import to_dicts
from bot.blocks._accounts import FROM_DAY_ONE
from bot.blocks.connect import (
    ACCOUNT_BLOCK,
    CALLBACK_ID,
    ROLE_BLOCK,
    VALUE,
    connect_modal,
    connected_modal,
)
from bot.blocks.home import DISCONNECT_ACTION_ID
from bot.blocks.zombies import zombie_message
from bot.home import publish_home
from bot.queries import LEARNING_DAYS
from bot.recipients import StoreRecipients
from bot.services import SlackServices, tenant_of
from onboarding.connect import CallbackTokens, LinkSettings, setup_link
from onboarding.lifecycle import ConnectResult, connect_account, disconnect_account
from onboarding.scan_job import scan_connected_account
from onboarding.validation import Validator
from pricing import Catalogue

logger = logging.getLogger(__name__)

VALIDATE_TIMEOUT = 2.5
SCAN_EVERY = timedelta(days=7)  # a view submission must be answered within 3 s
_ACCOUNT = re.compile(r"^\d{12}$")
UPGRADE_HINT = "Ask an admin to run /dd0c upgrade (the Stripe link for Pro)."


@dataclass
class Onboarding:
    """What the connect flow needs; built in app.py."""

    services: SlackServices
    catalogue: Catalogue
    validate: Validator
    tokens: CallbackTokens
    api_url: str
    link: LinkSettings | None = None
    endpoint_url: str | None = None
    free_limit: int = 1
    validate_timeout: float = VALIDATE_TIMEOUT
    """Seconds the role check may take inside Slack's 3 s answer to a view submission."""
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run after-connect work in the background, keeping a reference until it ends."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def modal(self, tenant: str) -> dict[str, Any]:
        """The connect modal for this tenant (its ExternalId is made on first use)."""
        now = self.services.clock()
        store = self.services.store
        if self.link is None:
            external_id = await store.tenants.ensure_external_id(tenant, now)
            return connect_modal(None, external_id)
        made = await setup_link(
            store, self.tokens, tenant, now, self.link, free_limit=self.free_limit
        )
        if made.problem is not None:
            upgrade = made.problem.code == "upgrade_required"
            return connect_modal(refusal=made.problem.text(), upgrade=upgrade)
        return connect_modal(made.url, made.external_id)

    async def submit(
        self, tenant: str, user: str | None, account_id: str, role_arn: str
    ) -> dict[str, str] | None:
        """Validate and connect a pasted role; the modal's field errors, or None when connected."""
        if not _ACCOUNT.match(account_id):
            return {ACCOUNT_BLOCK: "An AWS account id is 12 digits, like 123456789012."}
        now = self.services.clock()
        external_id = await self.services.store.tenants.ensure_external_id(tenant, now)
        assert external_id is not None  # the tenant exists: it installed the app
        try:
            validation = await asyncio.wait_for(
                self.validate(account_id, role_arn, external_id), self.validate_timeout
            )
        except TimeoutError:
            return {ROLE_BLOCK: "AWS did not answer in time. Try again in a minute."}
        result = await connect_account(
            self.services.store,
            tenant,
            account_id,
            role_arn,
            validation,
            now,
            free_limit=self.free_limit,
            by=f"slack user {user} (role pasted)",
        )
        if not result.ok:
            assert result.problem is not None
            block = ROLE_BLOCK if validation.problem is not None else ACCOUNT_BLOCK
            text = result.problem.text()
            if result.outcome == "upgrade_required":
                text += f" {UPGRADE_HINT}"
            return {block: text[:2000]}
        self.later(self.connected(tenant, account_id, result))
        return None

    async def _post(self, tenant: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        recipients = StoreRecipients(self.services)
        token, channel = await recipients.bot_token(tenant), await recipients.alert_channel(tenant)
        if not token or not channel:
            return
        client = AsyncWebClient(token=token, base_url=self.api_url)
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)

    async def connected(self, tenant: str, account_id: str, result: ConnectResult) -> None:
        """Tell the channel, then scan the new account for zombies and post the report."""
        if self.services.billing is not None:  # Pro: one more account billed (Stripe prorates)
            await self.services.billing.sync_quantity_quietly(tenant)
        try:
            await self._post(
                tenant,
                f":white_check_mark: AWS account {account_id} is connected. Statistical alerts "
                f"start after {int(LEARNING_DAYS)} days of learning (the daily digest lists them "
                f"meanwhile); {FROM_DAY_ONE}. Scanning for idle resources…",
                None,
            )
            await self._scan(tenant, account_id, result)
        except Exception:  # the connection stands; the welcome and the scan are best effort
            logger.exception("after-connect work failed", extra={"tenant_id": tenant})

    async def _scan(self, tenant: str, account_id: str, result: ConnectResult) -> None:
        account = result.account or await self.services.store.accounts.get(tenant, account_id)
        external_id = await self.services.store.tenants.ensure_external_id(
            tenant, self.services.clock()
        )
        if account is None or not account.role_arn or not external_id:
            return
        now = self.services.clock()
        report = await scan_connected_account(
            account_id,
            account.role_arn,
            external_id,
            self.catalogue,
            now,
            endpoint_url=self.endpoint_url,
        )
        await self.services.store.accounts.mark_scanned(
            tenant,
            account_id,
            now,
            zombies=len(report.zombies),
            zombie_monthly_usd=round(report.total_monthly_usd, 2),
        )
        message = zombie_message(report, now)
        await self._post(tenant, message.text, to_dicts(message.blocks))

    async def scan_due(self, every: timedelta = SCAN_EVERY) -> int:
        """The weekly zombie scan: every active account not scanned for `every`; how many ran."""
        now = self.services.clock()
        due = await self.services.store.accounts.scan_due(now - every)
        for account in due:
            try:
                result = ConnectResult("already_connected", account.id, account=account)
                await self._scan(account.tenant_id, account.id, result)
            except Exception:  # one account's failure never stops the run (STYLE §7)
                logger.exception("zombie scan failed", extra={"account_id": account.id})
        return len(due)

    async def disconnect(self, tenant: str, account_id: str, user: str | None) -> bool:
        """Stop alerting on the account now; its data goes within 72 hours."""
        now = self.services.clock()
        done = await disconnect_account(
            self.services.store, tenant, account_id, f"slack user {user}", now
        )
        if done and self.services.billing is not None:
            await self.services.billing.sync_quantity_quietly(tenant)
        return done


def _field(view: dict[str, Any], block: str) -> str:
    value = view.get("state", {}).get("values", {}).get(block, {}).get(VALUE, {}).get("value")
    return str(value or "").strip()


def register(app: AsyncApp, onboarding: Onboarding) -> None:
    """The connect modal's submission and the Disconnect button."""

    @app.view(CALLBACK_ID)
    async def submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        tenant = tenant_of(context)
        if tenant is None:
            await ack(response_action="errors", errors={ACCOUNT_BLOCK: "Unknown workspace."})
            return
        account, role = _field(view, ACCOUNT_BLOCK), _field(view, ROLE_BLOCK)
        user = (body.get("user") or {}).get("id")
        errors = await onboarding.submit(tenant, user, account, role)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=connected_modal(account, int(LEARNING_DAYS)))

    @app.action(DISCONNECT_ACTION_ID)
    async def disconnect(
        ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any
    ) -> None:
        await ack()
        tenant, user = tenant_of(context), (body.get("user") or {}).get("id")
        if tenant is None:
            return
        await onboarding.disconnect(tenant, str(action.get("value") or ""), user)
        await publish_home(onboarding.services, client, tenant, user)
