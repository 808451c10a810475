"""The fake Slack Web API and the request-signing helpers, exercised through slack_sdk and Bolt."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_fake import FakeSlack
from tests.slack_signing import (
    block_action,
    event_callback,
    sign,
    signed_headers,
    slash_command,
    url_verification,
)

TOKEN = "xoxb-fake-1"
SECRET = "s3cr3t-signing"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A running fake with one workspace."""
    async with FakeSlack() as fake:
        fake.add_workspace(TOKEN, team_id="T1", bot_user_id="UBOT1")
        yield fake


def client(slack: FakeSlack, token: str | None = TOKEN) -> AsyncWebClient:
    """A client of the fake with no retries of its own."""
    return AsyncWebClient(token=token, base_url=slack.base_url, retry_handlers=[])


async def test_binds_a_free_local_port() -> None:
    async with FakeSlack() as one, FakeSlack() as two:
        assert one.base_url.startswith("http://127.0.0.1:")
        assert one.base_url.endswith("/api/")
        assert one.base_url != two.base_url


async def test_auth_test_answers_by_token(slack: FakeSlack) -> None:
    slack.add_workspace("xoxb-grid", team_id="T2", bot_user_id="UBOT2", enterprise_id="E1")

    one = await client(slack).auth_test()
    grid = await client(slack, "xoxb-grid").auth_test()

    assert (one["team_id"], one["user_id"], one["bot_id"]) == ("T1", "UBOT1", "BBOT1")
    assert "enterprise_id" not in one.data
    assert (grid["team_id"], grid["enterprise_id"]) == ("T2", "E1")
    assert [c.token for c in slack.calls_to("auth.test")] == [TOKEN, "xoxb-grid"]


@pytest.mark.parametrize(
    ("token", "error"), [("xoxb-nobody", "invalid_auth"), (None, "not_authed")]
)
async def test_unknown_or_missing_token_is_refused(
    slack: FakeSlack, token: str | None, error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client(slack, token).chat_postMessage(channel="C1", text="hi")
    assert raised.value.response["error"] == error


async def test_post_message_records_blocks_and_returns_increasing_ts(slack: FakeSlack) -> None:
    blocks = [SectionBlock(text="*big* launch")]
    first = await client(slack).chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = await client(slack).chat_postMessage(channel="C1", text="again")

    assert first["channel"] == "C1"
    assert float(first["ts"]) < float(second["ts"])
    assert first["message"]["text"] == "hi"
    body = slack.calls_to("chat.postMessage")[0].body
    assert body["blocks"][0]["text"]["text"] == "*big* launch"
    assert slack.messages[("C1", second["ts"])]["text"] == "again"


async def test_form_bodies_have_blocks_decoded(slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]
    await client(slack).api_call(
        "chat.update", data={"channel": "C1", "ts": "1.2", "blocks": json.dumps(blocks)}
    )
    assert slack.last("chat.update").body["blocks"] == blocks


async def test_dm_views_users_and_generic_methods(slack: FakeSlack) -> None:
    web = client(slack)
    dm = await web.conversations_open(users="U123")
    view = await web.views_publish(user_id="U123", view={"type": "home", "blocks": []})
    user = await web.users_info(user="U123")
    info = await web.conversations_info(channel="C9")
    other = await web.reactions_add(channel="C1", timestamp="1.2", name="eyes")

    assert dm["channel"]["id"] == "D123"
    assert view["view"]["type"] == "home" and view["view"]["id"].startswith("V")
    assert slack.last("views.publish").body["view"]["type"] == "home"
    assert user["user"]["id"] == "U123" and info["channel"]["id"] == "C9"
    assert other["ok"] and slack.last("reactions.add").body["name"] == "eyes"


# slack_sdk 3.48 builds aiohttp.BasicAuth for client credentials, which aiohttp 3.14 deprecates.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_code_is_exchanged_once(slack: FakeSlack) -> None:
    slack.add_oauth_code("code-1", {"access_token": "xoxb-new", "team": {"id": "T3"}})
    web = AsyncWebClient(base_url=slack.base_url, retry_handlers=[])

    answer = await web.oauth_v2_access(client_id="1.2", client_secret="x", code="code-1")
    with pytest.raises(SlackApiError) as again:
        await web.oauth_v2_access(client_id="1.2", client_secret="x", code="code-1")

    assert answer["access_token"] == "xoxb-new"
    assert again.value.response["error"] == "invalid_code"


async def test_faults_are_consumed_in_order_and_scoped(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "not_in_channel", channel="C2")
    slack.fail("chat.postMessage", "is_archived", times=2)
    web = client(slack)

    errors = []
    for channel in ("C1", "C2", "C1", "C1"):
        try:
            await web.chat_postMessage(channel=channel, text="x")
            errors.append("ok")
        except SlackApiError as exc:
            errors.append(exc.response["error"])

    assert errors == ["is_archived", "not_in_channel", "is_archived", "ok"]


async def test_rate_limit_server_error_and_revocation(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after=7)
    slack.server_error("chat.postMessage", status=502)
    web = client(slack)

    with pytest.raises(SlackApiError) as limited:
        await web.chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as broken:
        await web.chat_postMessage(channel="C1", text="x")
    slack.revoke(TOKEN)
    with pytest.raises(SlackApiError) as revoked:
        await web.auth_test()

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert limited.value.response["error"] == "ratelimited"
    assert broken.value.response.status_code == 502
    assert revoked.value.response["error"] == "token_revoked"


async def test_delay_provokes_a_client_timeout_then_answers(slack: FakeSlack) -> None:
    slack.delay("chat.postMessage", 5.0)
    web = client(slack)

    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        async with asyncio.timeout(0.2):
            await web.chat_postMessage(channel="C1", text="x")
    answer = await web.chat_postMessage(channel="C1", text="x")

    assert answer["ok"] and time.monotonic() - started < 2.0
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_response_url_records_bodies(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(slack.response_url("cmd-1"), json={"text": "done"})
    assert slack.responses("cmd-1") == [{"text": "done"}]
    assert slack.responses("other") == []


# -- signing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        slash_command("help", team_id="T1", user_id="U1", channel_id="C1", response_url="u"),
        block_action(
            "snooze", "a-1", team_id="T1", user_id="U1", channel_id="C1", message_ts="1.2"
        ),
        event_callback({"type": "app_home_opened", "user": "U1"}, team_id="T1"),
        url_verification("challenge-x"),
    ],
)
def test_signatures_verify_with_slack_sdk(body: str) -> None:
    verifier = SignatureVerifier(SECRET)
    headers = sign(body, SECRET)

    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid_request(body.encode(), sign(body.encode(), SECRET))
    assert not verifier.is_valid_request(body + "x", headers)
    assert not verifier.is_valid_request(body, sign(body, "other-secret"))


def test_stale_timestamp_is_refused() -> None:
    body = url_verification("c")
    headers = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_payload_shapes() -> None:
    command = parse_qs(
        slash_command("status", team_id="T1", user_id="U1", channel_id="C1", response_url="u")
    )
    in_view = parse_qs(
        block_action(
            "open",
            "v",
            team_id="T1",
            user_id="U1",
            channel_id="C1",
            message_ts="",
            container="view",
            view_id="V7",
            enterprise_id="E1",
        )
    )
    action = json.loads(in_view["payload"][0])
    event = json.loads(event_callback({"type": "x"}, team_id="T1", enterprise_id="E1"))

    assert command["command"] == ["/dd0c"] and command["text"] == ["status"]
    assert action["container"] == {"type": "view", "view_id": "V7"}
    assert action["enterprise"]["id"] == "E1" and action["actions"][0]["value"] == "v"
    assert event["authorizations"][0]["enterprise_id"] == "E1"
    assert signed_headers(url_verification("c"), SECRET)["Content-Type"] == "application/json"


async def test_bolt_dispatches_a_signed_command_against_the_fake(slack: FakeSlack) -> None:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[]),
    )
    done = asyncio.Event()

    @app.command("/dd0c")
    async def command(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="pong")
        done.set()

    body = slash_command(
        "ping",
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        response_url=slack.response_url("c1"),
    )
    response = await app.async_dispatch(
        AsyncBoltRequest(body=body, headers={**signed_headers(body, SECRET)})
    )
    await asyncio.wait_for(done.wait(), 5)
    forged = await app.async_dispatch(
        AsyncBoltRequest(body=body, headers={**signed_headers(body, "wrong")})
    )

    assert response.status == 200 and forged.status == 401
    assert slack.responses("c1")[0]["text"] == "pong"
    assert slack.last("auth.test").token == TOKEN
