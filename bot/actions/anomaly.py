"""The card's buttons: Snooze 1 h / 4 h / 24 h and Mark expected (seed 7.3, 2.4).

Each click is checked against the clicking workspace: an anomaly id from another tenant finds
nothing and changes nothing. The original message is updated to say who did what and when (or, on
App Home, the tab is refreshed). A second click is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import ACTION_DETAILS, ACTION_TEXTS, alert_status_update, to_dicts
from bot.home import publish_home
from bot.messages import NOT_YOURS
from bot.services import SlackServices, tenant_of
from engine import BaselineKey
from storage.anomalies import StoredAnomaly

logger = logging.getLogger(__name__)

SNOOZES: dict[str, timedelta] = {
    "snooze_1h": timedelta(hours=1),
    "snooze_4h": timedelta(hours=4),
    "snooze_24h": timedelta(hours=24),
}
MARK_EXPECTED = "mark_expected"


async def apply_action(
    services: SlackServices, tenant: str, action_id: str, anomaly_id: str, user: str | None
) -> StoredAnomaly | None:
    """Snooze or mark expected; the updated anomaly, or None when it is not this tenant's."""
    store, now = services.store, services.clock()
    anomaly = await store.anomalies.get(tenant, anomaly_id)
    if anomaly is None:
        return None
    if action_id in SNOOZES:
        until = now + SNOOZES[action_id]
        await store.anomalies.set_status(
            tenant, anomaly_id, "snoozed", now, by=user, snooze_until=until
        )
    else:
        key = BaselineKey(anomaly.account_id, anomaly.service, anomaly.resource_type)
        await store.baselines.mark_expected(tenant, key, anomaly.size, anomaly.principal_arn)
        await store.anomalies.set_status(tenant, anomaly_id, "expected", now, by=user)
    await store.audit.record(
        tenant,
        f"anomaly.{action_id}",
        f"{ACTION_TEXTS[action_id]} by {user or 'unknown user'}: anomaly {anomaly_id}",
        now,
        {"anomalyId": anomaly_id, "userId": user},
    )
    return await store.anomalies.get(tenant, anomaly_id)


async def _update_message(
    client: Any,
    body: dict[str, Any],
    anomaly: StoredAnomaly,
    action_id: str,
    user: str | None,
    services: SlackServices,
) -> None:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        return
    message = alert_status_update(
        anomaly,
        services.clock(),
        user,
        ACTION_TEXTS[action_id],
        detail=ACTION_DETAILS.get(action_id),
    )
    await client.chat_update(
        channel=channel, ts=ts, text=message.text, blocks=to_dicts(message.blocks)
    )


def register(app: AsyncApp, services: SlackServices) -> None:
    """Listen for the snooze and mark-expected buttons (on cards and on App Home)."""

    async def on_click(
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        context: Any,
        client: Any,
        respond: Any,
    ) -> None:
        await ack()
        tenant, user = tenant_of(context), (body.get("user") or {}).get("id")
        action_id, anomaly_id = action["action_id"], str(action.get("value") or "")
        done = await apply_action(services, tenant, action_id, anomaly_id, user) if tenant else None
        if tenant is None or done is None:
            logger.warning("button for an unknown anomaly", extra={"tenant_id": tenant})
            if body.get("response_url"):
                await respond(text=NOT_YOURS, response_type="ephemeral", replace_original=False)
            return
        if (body.get("container") or {}).get("type") == "view":
            await publish_home(services, client, tenant, user)
            return
        await _update_message(client, body, done, action_id, user, services)

    for action_id in (*SNOOZES, MARK_EXPECTED):
        app.action(action_id)(on_click)
