"""Adjust sensitivity from an alert card (seed 5.3): the card's overflow menu opens a modal for
the anomaly's account × service × resource type; the choice is validated, saved and audited.
Like `/dd0c sensitivity`, only workspace admins or the installer may change it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.blocks.sensitivity import (
    CALLBACK_ID,
    LEVEL_ACTION,
    LEVEL_BLOCK,
    LEVELS,
    OVERFLOW_ACTION_ID,
    SENSITIVITY_OPTION,
    sensitivity_modal,
)
from bot.commands.admin import may_govern
from bot.services import SlackServices, tenant_of
from engine import BaselineKey

logger = logging.getLogger(__name__)


def _level(view: dict[str, Any]) -> str:
    values = view.get("state", {}).get("values", {})
    chosen = values.get(LEVEL_BLOCK, {}).get(LEVEL_ACTION, {}).get("selected_option") or {}
    return str(chosen.get("value") or "")


def register(app: AsyncApp, services: SlackServices) -> None:
    """The overflow menu's "Adjust sensitivity…" and the modal's submission."""

    @app.action(OVERFLOW_ACTION_ID)
    async def menu(
        ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any
    ) -> None:
        await ack()
        tenant = tenant_of(context)
        kind, _, anomaly_id = str((action.get("selected_option") or {}).get("value", "")).partition(
            ":"
        )
        if tenant is None or kind != SENSITIVITY_OPTION:
            return
        anomaly = await services.store.anomalies.get(tenant, anomaly_id)
        if anomaly is None:
            logger.warning("sensitivity for an unknown anomaly", extra={"tenant_id": tenant})
            return
        key = BaselineKey(anomaly.account_id, anomaly.service, anomaly.resource_type)
        baseline = await services.store.baselines.get(tenant, key)
        current = baseline.sensitivity if baseline is not None else "medium"
        await client.views_open(
            trigger_id=body["trigger_id"], view=sensitivity_modal(anomaly, current)
        )

    @app.view(CALLBACK_ID)
    async def submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any, client: Any
    ) -> None:
        tenant, user = tenant_of(context), (body.get("user") or {}).get("id")
        level = _level(view)
        if level not in LEVELS:
            await ack(response_action="errors", errors={LEVEL_BLOCK: "Choose low, medium or high."})
            return
        if tenant is None or not user or not await may_govern(services, client, tenant, user):
            await ack(response_action="errors", errors={LEVEL_BLOCK: messages.ADMINS_ONLY})
            return
        anomaly = await services.store.anomalies.get(
            tenant, str(view.get("private_metadata") or "")
        )
        if anomaly is None:
            await ack(response_action="errors", errors={LEVEL_BLOCK: messages.NOT_YOURS})
            return
        await ack()
        key = BaselineKey(anomaly.account_id, anomaly.service, anomaly.resource_type)
        await services.store.baselines.set_sensitivity(tenant, key, level)  # type: ignore[arg-type]
        sentence = messages.sensitivity_set(
            anomaly.account_id, anomaly.service, anomaly.resource_type, level, user
        )
        detail = {"anomalyId": anomaly.id, "level": level, "userId": user}
        await services.store.audit.record(
            tenant, "baseline.sensitivity", sentence, services.clock(), detail
        )
