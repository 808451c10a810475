"""A fake Slack Web API on 127.0.0.1 over real HTTP, for `AsyncWebClient(base_url=...)`.

Better than bolt's `tests/mock_web_api_server`: it binds port 0, records every request body (so
tests assert on blocks), answers by token from a workspace registry, and injects faults per method,
optionally per token or channel, consumed in the order they were added.

    async with FakeSlack() as slack:
        slack.add_workspace("xoxb-1", team_id="T1", bot_user_id="UBOT1")
        client = AsyncWebClient(token="xoxb-1", base_url=slack.base_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.last("chat.postMessage").body["text"] == "hi"

Every method needs a registered token, as Slack does: none gives `not_authed`, an unknown one
`invalid_auth`, a revoked one `token_revoked`. `oauth.v2.access` authenticates by its code instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Literal

from aiohttp import web

JSONObject = dict[str, Any]
FaultKind = Literal["fail", "rate_limit", "server_error", "delay", "accept_then_delay"]
_DECODED_FIELDS = ("blocks", "view", "attachments", "metadata")  # JSON strings in form bodies
_NO_TOKEN_METHODS = frozenset({"oauth.v2.access", "oauth.v2.exchange", "api.test"})


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    headers: dict[str, str]
    token: str | None
    body: JSONObject
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class Workspace:
    """A workspace the fake knows, reached with one token."""

    team_id: str
    bot_user_id: str
    enterprise_id: str | None = None

    @property
    def bot_id(self) -> str:
        """The bot id Slack pairs with the bot user."""
        return "B" + self.bot_user_id.lstrip("UW")


@dataclass
class _Fault:
    kind: FaultKind
    method: str
    times: int
    error: str = ""
    status: int = 200
    seconds: float = 0.0
    channel: str | None = None
    token: str | None = None

    def matches(self, call: Call) -> bool:
        return (
            self.times > 0
            and self.method == call.method
            and self.channel in (None, call.body.get("channel"))
            and self.token in (None, call.token)
        )


@dataclass
class FakeSlack:
    """The fake server: start it, point clients at `base_url`, read `calls`."""

    calls: list[Call] = field(default_factory=list)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    messages: dict[tuple[str, str], JSONObject] = field(default_factory=dict)  # (channel, ts)
    base_url: str = ""
    _faults: list[_Fault] = field(default_factory=list)
    _revoked: set[str] = field(default_factory=set)
    _oauth_codes: dict[str, JSONObject] = field(default_factory=dict)
    _users: dict[str, JSONObject] = field(default_factory=dict)  # users.info fields by user id
    _channels: dict[str, JSONObject] = field(default_factory=dict)  # conversations.info fields
    _responses: dict[str, list[JSONObject]] = field(default_factory=dict)
    _ts: count[int] = field(default_factory=lambda: count(1))
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on 127.0.0.1 on a free port; the Web API base URL ("http://127.0.0.1:N/api/")."""
        self._stopping.clear()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/api/"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening; delayed answers still pending are released at once."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- set-up ----------------------------------------------------------------------------------

    def add_workspace(
        self, token: str, team_id: str, bot_user_id: str, enterprise_id: str | None = None
    ) -> Workspace:
        """Accept `token` as the bot token of this workspace."""
        self.workspaces[token] = Workspace(team_id, bot_user_id, enterprise_id)
        return self.workspaces[token]

    def add_oauth_code(self, code: str, response: JSONObject) -> None:
        """`oauth.v2.access` exchanges `code` (once) for `response` (the v2 OAuth answer)."""
        self._oauth_codes[code] = response

    def set_user(self, user_id: str, **fields: Any) -> None:
        """What users.info answers for `user_id` beyond the defaults (is_admin=True, tz=...)."""
        self._users.setdefault(user_id, {}).update(fields)

    def set_channel(self, channel: str, **fields: Any) -> None:
        """What conversations.info answers for `channel` beyond the defaults (is_member=False)."""
        self._channels.setdefault(channel, {}).update(fields)

    def revoke(self, token: str) -> None:
        """Every later call with `token` answers `token_revoked`."""
        self._revoked.add(token)

    def fail(
        self,
        method: str,
        error: str = "channel_not_found",
        times: int = 1,
        channel: str | None = None,
        token: str | None = None,
    ) -> None:
        """Answer `method` with HTTP 200 `{"ok": false, "error": error}` the next `times` times."""
        self._faults.append(_Fault("fail", method, times, error, channel=channel, token=token))

    def rate_limit(
        self, method: str, retry_after: int = 1, times: int = 1, *, token: str | None = None
    ) -> None:
        """Answer `method` with HTTP 429, `Retry-After: retry_after` and `ratelimited`."""
        fault = _Fault("rate_limit", method, times, "ratelimited", 429, retry_after, token=token)
        self._faults.append(fault)

    def server_error(
        self, method: str, status: int = 503, times: int = 1, *, token: str | None = None
    ) -> None:
        """Answer `method` with an HTTP 5xx and a plain-text body, as Slack's edge does."""
        self._faults.append(_Fault("server_error", method, times, status=status, token=token))

    def delay(
        self, method: str, seconds: float, times: int = 1, *, token: str | None = None
    ) -> None:
        """Hold `method`'s answer for `seconds` (to provoke client timeouts), then answer."""
        self._faults.append(_Fault("delay", method, times, seconds=seconds, token=token))

    def accept_then_delay(
        self, method: str, seconds: float, times: int = 1, *, token: str | None = None
    ) -> None:
        """Do `method` at once (a post is posted), but hold its answer for `seconds`.

        Slack accepting a message and answering after the client's timeout: a client that gives
        up and calls again posts the message twice.
        """
        self._faults.append(
            _Fault("accept_then_delay", method, times, seconds=seconds, token=token)
        )

    # -- reading what happened -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """The calls of one Web API method, in order."""
        return [call for call in self.calls if call.method == method]

    def last(self, method: str) -> Call:
        """The latest call of `method` (AssertionError when there was none)."""
        calls = self.calls_to(method)
        assert calls, f"no call to {method}; calls: {[c.method for c in self.calls]}"
        return calls[-1]

    def response_url(self, key: str) -> str:
        """A `response_url` to hand to a slash command payload."""
        return self.base_url.removesuffix("api/") + f"response/{key}"

    def responses(self, key: str) -> list[JSONObject]:
        """The bodies posted to `response_url(key)`."""
        return self._responses.get(key, [])

    # -- HTTP ------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        call = await _record(request)
        self.calls.append(call)
        if call.token in self._revoked:
            return _error("token_revoked")
        fault = next((f for f in self._faults if f.matches(call)), None)
        if fault is not None:
            fault.times -= 1
            if fault.kind == "delay":
                await self._sleep(fault.seconds)
            elif fault.kind != "accept_then_delay":
                return _fault_response(fault)
        answer = self._authenticated(call)
        if fault is not None and fault.kind == "accept_then_delay":
            await self._sleep(fault.seconds)
        return web.json_response(answer)

    def _authenticated(self, call: Call) -> JSONObject:
        if call.method in _NO_TOKEN_METHODS:
            return self._answer_oauth(call)
        if call.token is None:
            return {"ok": False, "error": "not_authed"}
        workspace = self.workspaces.get(call.token)
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        return self._answer(call, workspace)

    async def _response_url(self, request: web.Request) -> web.Response:
        self._responses.setdefault(request.match_info["key"], []).append(await request.json())
        return web.json_response({"ok": True})

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return

    # -- answers ---------------------------------------------------------------------------------

    def _answer(self, call: Call, ws: Workspace) -> JSONObject:
        handler = _ANSWERS.get(call.method)
        return {"ok": True, **(handler(self, call, ws) if handler else {})}

    def _answer_oauth(self, call: Call) -> JSONObject:
        if call.method != "oauth.v2.access":
            return {"ok": True}
        response = self._oauth_codes.pop(str(call.body.get("code")), None)
        return {"ok": True, **response} if response else {"ok": False, "error": "invalid_code"}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _auth_test(self, call: Call, ws: Workspace) -> JSONObject:
        out = {
            "url": f"https://{ws.team_id.lower()}.slack.com/",
            "team": ws.team_id,
            "user": "dd0c",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }
        return out | ({"enterprise_id": ws.enterprise_id} if ws.enterprise_id else {})

    def _post_message(self, call: Call, ws: Workspace) -> JSONObject:
        body, channel = call.body, str(call.body.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message = {
            "type": "message",
            "text": body.get("text", ""),
            "blocks": body.get("blocks"),
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "team": ws.team_id,
            "ts": ts,
        }
        if isinstance(body.get("metadata"), dict):
            message["metadata"] = body["metadata"]
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update(self, call: Call, ws: Workspace) -> JSONObject:
        channel, ts = str(call.body.get("channel")), str(call.body.get("ts"))
        message = self.messages.get((channel, ts), {"type": "message", "ts": ts})
        message |= {k: call.body[k] for k in ("text", "blocks") if k in call.body}
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": message.get("text", ""), "message": message}

    def _ephemeral(self, call: Call, ws: Workspace) -> JSONObject:
        return {"message_ts": self._next_ts()}

    def _open_dm(self, call: Call, ws: Workspace) -> JSONObject:
        user = str(call.body.get("users", "")).split(",")[0]
        if not user:
            return {"ok": False, "error": "users_not_found"}
        return {"channel": {"id": "D" + user.lstrip("UW"), "is_im": True, "user": user}}

    def _channel_info(self, call: Call, ws: Workspace) -> JSONObject:
        channel = str(call.body.get("channel", ""))
        return {
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": True,
                "is_member": True,
                "is_archived": False,
            }
            | self._channels.get(channel, {})
        }

    def _view(self, call: Call, ws: Workspace) -> JSONObject:
        view = call.body.get("view")
        view = dict(view) if isinstance(view, dict) else {}
        view_id = str(call.body.get("view_id") or f"V{next(self._ts):08d}")
        return {"view": view | {"id": view_id, "team_id": ws.team_id, "hash": self._next_ts()}}

    def _user_info(self, call: Call, ws: Workspace) -> JSONObject:
        user = str(call.body.get("user", ""))
        return {
            "user": {
                "id": user,
                "team_id": ws.team_id,
                "name": user.lower(),
                "real_name": f"User {user}",
                "tz": "UTC",
                "is_bot": False,
                "is_admin": False,
                "is_owner": False,
            }
            | self._users.get(user, {})
        }


_ANSWERS = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._post_message,
    "chat.update": FakeSlack._update,
    "chat.postEphemeral": FakeSlack._ephemeral,
    "conversations.open": FakeSlack._open_dm,
    "conversations.info": FakeSlack._channel_info,
    "views.publish": FakeSlack._view,
    "views.open": FakeSlack._view,
    "views.update": FakeSlack._view,
    "users.info": FakeSlack._user_info,
}


async def _record(request: web.Request) -> Call:
    """The request as a Call: query, form or JSON fields merged, JSON-string fields decoded."""
    body: JSONObject = dict(request.query)
    if request.content_type == "application/json":
        body |= await request.json()
    elif request.can_read_body:
        body |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    for name in _DECODED_FIELDS:
        if isinstance(body.get(name), str):
            body[name] = json.loads(body[name])
    auth = request.headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
    token = token if isinstance(token, str) and token else None
    return Call(request.match_info["method"], dict(request.headers), token, body, time.monotonic())


def _error(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


def _fault_response(fault: _Fault) -> web.Response:
    if fault.kind == "rate_limit":
        headers = {"Retry-After": str(int(fault.seconds))}
        return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
    if fault.kind == "server_error":
        return web.Response(status=fault.status, text="Service Unavailable")
    return _error(fault.error)
