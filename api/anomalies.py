"""`GET /v1/anomalies`: filtered, newest first, with a cursor that new anomalies never shift."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

import orjson
from aiohttp import web
from pydantic import Field

from api._io import json_response, read_query
from api.errors import BadRequest
from api.models import AnomalyOut, AnomalyPage, Model
from api.services import ApiServices
from storage.anomalies import StoredAnomaly
from storage.apikeys import ApiKey

MAX_LIMIT = 200


class AnomalyQuery(Model):
    """The query string of GET /v1/anomalies."""

    since: datetime | None = Field(default=None, description="created at or after (ISO 8601)")
    status: Literal["open", "snoozed", "expected", "resolved"] | None = None
    severity: Literal["info", "warning", "critical"] | None = None
    account: str | None = Field(default=None, pattern=r"^\d{12}$")
    cursor: str | None = Field(default=None, max_length=200, description="nextCursor of a page")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)


def encode_cursor(anomaly: StoredAnomaly) -> str:
    """An opaque cursor: the (createdAt, id) of the last anomaly of a page."""
    raw = orjson.dumps([anomaly.created_at.isoformat(), anomaly.id])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(createdAt, id) of a cursor; BadRequest when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, anomaly_id = orjson.loads(raw)
        parsed = datetime.fromisoformat(at)
        if not isinstance(anomaly_id, str) or parsed.tzinfo is None:
            raise ValueError("not a cursor")
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise BadRequest("cursor: not a cursor this API gave out", code="invalid_query") from None
    return parsed, anomaly_id


def slack_url(anomaly: StoredAnomaly) -> str | None:
    """A link to the posted card (Slack resolves it for any member of the workspace)."""
    if anomaly.slack is None:
        return None
    return (
        f"https://slack.com/archives/{anomaly.slack.channel}/p{anomaly.slack.ts.replace('.', '')}"
    )


def anomaly_out(anomaly: StoredAnomaly) -> AnomalyOut:
    """The API's view of a stored anomaly."""
    return AnomalyOut(
        id=anomaly.id,
        account_id=anomaly.account_id,
        region=anomaly.region,
        service=anomaly.service,
        resource_type=anomaly.resource_type,
        resource_ids=anomaly.resource_ids,
        size=anomaly.size,
        quantity=anomaly.quantity,
        event_name=anomaly.event_name,
        event_time=anomaly.event_time,
        actor_arn=anomaly.actor_arn,
        estimated_hourly_cost=anomaly.estimated_hourly_cost,
        severity=anomaly.severity,
        score=anomaly.score,
        reasons=anomaly.reasons,
        status=anomaly.status,
        created_at=anomaly.created_at,
        delivery=anomaly.delivery,
        slack_message_url=slack_url(anomaly),
    )


async def list_anomalies(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """GET /v1/anomalies?since=&status=&severity=&account=&cursor=&limit=."""
    query = read_query(request, AnomalyQuery)
    filters: dict[str, Any] = {}
    if query.status:
        filters["status"] = query.status
    if query.severity:
        filters["severity"] = query.severity
    if query.account:
        filters["accountId"] = query.account
    after = decode_cursor(query.cursor) if query.cursor else None
    found = await services.store.anomalies.page(
        key.tenant_id, after=after, filters=filters, since=query.since, limit=query.limit + 1
    )
    more = len(found) > query.limit
    found = found[: query.limit]
    page = AnomalyPage(
        anomalies=[anomaly_out(a) for a in found],
        next_cursor=encode_cursor(found[-1]) if more else None,
    )
    return json_response(page)
