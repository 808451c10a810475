"""Slack requests as Slack sends them, signed with the real v0 scheme.

Bodies are built the way Slack builds them: slash commands and interactivity as form bodies
(interactivity as `payload=<json>`), events as JSON. `sign` gives the two headers Bolt's request
verification checks; `signed_headers` adds the content type, ready for `AsyncBoltRequest` or an
HTTP client.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from itertools import count
from typing import Any, Literal
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated by Slack; sent, never checked
_ids = count(1)


def sign(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """`X-Slack-Request-Timestamp` and `X-Slack-Signature` (v0 HMAC-SHA256) for `body`."""
    ts = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:%d:" % ts + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """`sign`'s headers plus the Content-Type Slack sends with such a body."""
    text = body.decode() if isinstance(body, bytes) else body
    content_type = JSON if text.lstrip().startswith("{") else FORM
    return {"Content-Type": content_type, **sign(body, secret, timestamp)}


def slash_command(
    text: str,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    response_url: str,
    command: str = "/dd0c",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    enterprise_id: str | None = None,
    api_app_id: str = "A1",
) -> str:
    """The form body of a slash command invocation."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_id.lower(),
        "enterprise_id": enterprise_id,
        "channel_id": channel_id,
        "channel_name": channel_id.lower(),
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode({k: v for k, v in fields.items() if v is not None})


def block_action(
    action_id: str,
    value: str,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    message_ts: str,
    enterprise_id: str | None = None,
    container: Literal["message", "view"] = "message",
    view_id: str | None = None,
    block_id: str = "actions",
    response_url: str = "https://hooks.slack.com/actions/T1/1/x",
    api_app_id: str = "A1",
) -> str:
    """The form body (`payload=<json>`) of a button click in a message or a view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": f"{next(_ids)}.{user_id}.trigger",
        "team": {"id": team_id, "domain": team_id.lower(), "enterprise_id": enterprise_id},
        "enterprise": {"id": enterprise_id, "name": enterprise_id} if enterprise_id else None,
        "is_enterprise_install": False,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "action_ts": f"{int(time.time())}.000200",
            }
        ],
        **_container(container, channel_id, message_ts, view_id, response_url),
    }
    return urlencode({"payload": json.dumps(payload)})


def _container(
    kind: str, channel_id: str, message_ts: str, view_id: str | None, response_url: str
) -> dict[str, Any]:
    """The parts of an interactivity payload that depend on where the button was."""
    if kind == "view":
        view = {"id": view_id or "V1", "type": "home", "callback_id": "", "hash": "1.x"}
        return {"container": {"type": "view", "view_id": view["id"]}, "view": view}
    return {
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": {"type": "message", "ts": message_ts, "text": "", "blocks": []},
        "response_url": response_url,
    }


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str,
    api_app_id: str = "A1",
    enterprise_id: str | None = None,
    bot_user_id: str = "UBOT",
) -> str:
    """The JSON body of an Events API delivery wrapping `event`."""
    n = next(_ids)
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{n:08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-event-{n}",
        }
    )


def url_verification(challenge: str) -> str:
    """The JSON body Slack sends when the events URL is saved."""
    return json.dumps(
        {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    )
