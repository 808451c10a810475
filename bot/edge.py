"""What reaches Bolt from `POST /slack/events`: checked here, so hostile input never gets a 500.

In order, before Bolt sees anything:

| check | answer |
| --- | --- |
| one `X-Slack-Request-Timestamp` (1–12 digits, ±5 min), one `X-Slack-Signature` (v0=hex) | 401 |
| the v0 signature over the raw bytes (when the signing secret is known here) | 401 |
| body larger than aiohttp's limit (1 MiB) | 413 |
| body not UTF-8, not parseable as Bolt parses it, not a JSON object, nested deeper than 32 | 400 |
| the fields Bolt's matchers and our listeners read, of the wrong type or missing | 400 |

A 400 changes nothing: no listener runs. Bolt verifies the signature again, as always. Slack's
certificate check (`ssl_check=1`) gets its 200 even unsigned, as Bolt gives it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from slack_bolt.request.async_request import AsyncBoltRequest

MAX_SKEW = 300  # seconds, as Slack's docs and Bolt
MAX_DEPTH = 32
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Payload types and the field Bolt's matchers then index unchecked (view: callback_id, type).
_NEEDS = {
    "block_actions": "actions",
    "interactive_message": "actions",
    "view_submission": "view",
    "view_closed": "view",
    "event_callback": "event",
    "url_verification": "challenge",
    "shortcut": "callback_id",
    "message_action": "callback_id",
    "dialog_submission": "callback_id",
    "dialog_cancellation": "callback_id",
    "dialog_suggestion": "callback_id",
    "block_suggestion": "action_id",
}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _Ids(_Loose):
    """team, user, channel, enterprise, container, authorizations[]: whatever Bolt reads."""

    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    type: str | None = None
    is_enterprise_install: bool | str | None = None


_Ref = str | _Ids | None


class _Nested(_Loose):
    """event.message, message, previous_message, item, assistant_thread."""

    type: str | None = None
    user: _Ref = None
    channel: _Ref = None
    team: str | None = None
    user_team: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    channel_type: str | None = None
    tab: str | None = None
    bot_id: str | None = None
    function_execution_id: str | None = None
    bot_access_token: str | None = None
    inputs: dict[str, Any] | None = None


class _Event(_Nested):
    type: str
    message: _Nested | None = None
    previous_message: _Nested | None = None
    item: _Nested | None = None
    assistant_thread: _Nested | None = None
    workflow_step: dict[str, Any] | None = None
    tokens: dict[str, Any] | None = None


class _Action(_Loose):
    action_id: str
    block_id: str | None = None
    value: str | None = None
    type: str | None = None


class _ViewState(_Loose):
    values: dict[str, dict[str, dict[str, Any]]] = {}


class _View(_Loose):
    callback_id: str | None = None
    id: str | None = None
    type: str | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None
    private_metadata: str | None = None
    state: _ViewState | None = None


def _http_url(value: str | None) -> str | None:
    """`value` if it is an http(s) URL with a host (Bolt posts replies there), else an error."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ValueError("response_url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or value != value.strip():
        raise ValueError("response_url is not an http(s) URL")
    return value


_Url = Annotated[str, AfterValidator(_http_url)]


class _ResponseUrl(_Loose):
    response_url: _Url


class SlackBody(_Loose):
    """The parsed body of a Slack request: every field Bolt or a listener reads, typed."""

    type: str | None = None
    token: str | None = None
    team: _Ref = None
    user: _Ref = None
    channel: _Ref = None
    enterprise: _Ref = None
    container: _Ids | None = None
    authorizations: list[_Ids] | None = None
    message: _Nested | None = None
    previous_message: _Nested | None = None
    item: _Nested | None = None
    assistant_thread: _Nested | None = None
    event: _Event | None = None
    actions: list[_Action] | None = None
    view: _View | None = None
    response_url: _Url | None = None
    response_urls: list[_ResponseUrl] | None = None
    trigger_id: str | None = None
    callback_id: str | None = None
    action_id: str | None = None
    challenge: str | None = None
    command: str | None = None
    text: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    enterprise_id: str | None = None
    is_enterprise_install: bool | str | None = None
    is_ext_shared_channel: bool | None = None
    function_execution_id: str | None = None
    function_data: dict[str, Any] | None = None
    bot_access_token: str | None = None
    workflow_step: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _what_the_type_needs(self) -> SlackBody:
        needed = _NEEDS.get(self.type or "")
        if needed is not None and not getattr(self, needed):
            raise ValueError(f"a {self.type} payload needs {needed}")
        if needed == "view" and self.view is not None:
            if self.view.callback_id is None or self.view.type is None:
                raise ValueError(f"a {self.type} payload needs view.callback_id and view.type")
        if self.command is not None and not self.command.startswith("/"):
            raise ValueError("a slash command starts with /")
        return self


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "error": text}, status=status)


def _headers_problem(request: web.BaseRequest, now: Callable[[], float]) -> str | None:
    """Why the signature headers are unusable (the body is not read yet), or None."""
    timestamps = request.headers.getall("X-Slack-Request-Timestamp", [])
    signatures = request.headers.getall("X-Slack-Signature", [])
    if len(timestamps) != 1 or len(signatures) != 1:
        return "one X-Slack-Request-Timestamp and one X-Slack-Signature header are required"
    if not _TIMESTAMP.fullmatch(timestamps[0]) or not _SIGNATURE.fullmatch(signatures[0]):
        return "malformed X-Slack-Request-Timestamp or X-Slack-Signature"
    if abs(now() - int(timestamps[0])) > MAX_SKEW:
        return "stale request"
    return None


def signed(raw: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """Whether `raw` carries Slack's v0 signature made with `secret`."""
    base = b"v0:" + headers["X-Slack-Request-Timestamp"].encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Slack-Signature"])


def _depth(value: Any) -> int:
    """How deeply `value` nests lists and objects (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, level + 1) for child in children)
    return deepest


def _body_problem(bolt_request: AsyncBoltRequest) -> str | None:
    body: Any = bolt_request.body
    if not isinstance(body, dict):
        return "the body (or its payload) is not a JSON object"
    if _depth(body) > MAX_DEPTH:
        return f"the payload nests deeper than {MAX_DEPTH} levels"
    try:
        SlackBody.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        return f"{where}: {first['msg']}"
    return None


async def _ssl_check(request: web.Request) -> bool:
    """Whether the body is Slack's certificate check (`ssl_check=1`), answered 200 as it is."""
    raw = await request.read()
    return parse_qs(raw.decode("utf-8", "replace")).get("ssl_check") == ["1"]


async def checked_request(
    request: web.Request, secret: str | None, now: Callable[[], float]
) -> AsyncBoltRequest | web.Response:
    """The request as Bolt will see it, or the 401/400/413 that refuses it."""
    problem = _headers_problem(request, now)
    if problem:
        if await _ssl_check(request):  # Bolt answers these unsigned too (its SslCheck)
            return web.Response(status=200)
        return _error(401, problem)
    raw = await request.read()  # 413 past the application's client_max_size
    if secret is not None and not signed(raw, request.headers, secret):
        return _error(401, "invalid signature")
    try:
        text = raw.decode("utf-8")
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers={name.lower(): request.headers.getall(name) for name in request.headers},
        )
    # UnicodeDecodeError, JSONDecodeError, and what Bolt's context builder raises on a non-object
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError):
        return _error(400, "the body is not a Slack request")
    problem = _body_problem(bolt_request)
    if problem:
        return _error(400, problem)
    return bolt_request
