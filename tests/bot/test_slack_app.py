"""The Slack app driven over HTTP: OAuth install, signed commands, buttons and events, against a
local fake Slack Web API server (tests/slack_fake.py) that records every call."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import EVENTS_PATH, SlackConfig, build, routes
from bot.messages import NOT_YOURS
from bot.notifier import Notifier
from bot.recipients import StoreRecipients
from bot.services import SlackServices
from engine import Anomaly, BaselineKey
from storage import Store, memory_store
from storage.crypto import TokenCipher
from tests.engine.factories import event
from tests.slack_fake import FakeSlack
from tests.slack_signing import block_action, event_callback, signed_headers, slash_command

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
KEY = "a-long-random-passphrase-for-the-token-key-0123456789"
CRIT = Anomaly(severity="critical", score=0.9, reasons=("$65.54/h, never launched here",))
# slack_sdk 3.48 builds aiohttp.BasicAuth for oauth.v2.access, which aiohttp 3.14 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@dataclass
class World:
    """The app under test and its peers."""

    slack: FakeSlack
    store: Store
    services: SlackServices
    http: TestClient[Any, Any]

    async def post(self, body: str, *, secret: str = SECRET, timestamp: int | None = None) -> Any:
        """POST a Slack request to /slack/events, signed with `secret`."""
        headers = signed_headers(body, secret, timestamp)
        if body.startswith("{"):
            headers["Content-Type"] = "application/json"
        return await self.http.post(EVENTS_PATH, data=body, headers=headers)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """Store, fake Slack, Bolt app on an aiohttp test server."""
    async with FakeSlack() as slack:
        store = memory_store(TokenCipher([KEY]))
        await store.start(datetime.now(UTC))
        services = SlackServices(store)
        bolt = build(SlackConfig("111.222", "client-secret", SECRET, slack.base_url), services)
        app = web.Application()
        app.add_routes(routes(bolt))
        async with TestClient(TestServer(app)) as http:
            yield World(slack, store, services, http)
        await store.close()


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 5.0) -> None:
    """Wait for a side effect of a listener that runs after the ack."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await _sleep()


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.02)


async def install(w: World, team: str = "T1", user: str = "U1", channel: str = "C1") -> str:
    """Run the real OAuth flow: install page, state cookie, redirect with a code."""
    token = f"xoxb-{team}-secret"
    w.slack.add_workspace(token, team, f"UBOT{team}")
    w.slack.add_oauth_code(
        f"code-{team}",
        {
            "access_token": token,
            "token_type": "bot",
            "scope": "chat:write,commands,incoming-webhook,im:write",
            "bot_user_id": f"UBOT{team}",
            "app_id": "A1",
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": user},
            "incoming_webhook": {
                "channel": "#aws-alerts",
                "channel_id": channel,
                "configuration_url": f"https://{team}.slack.com/services/B1",
                "url": f"https://hooks.slack.com/services/{team}/B1/hooksecret",
            },
        },
    )
    page = await w.http.get("/slack/install")
    assert page.status == 200
    html = await page.text()
    found = re.search(r"state=([A-Za-z0-9_\-]+)", html)
    assert found, html[:500]
    state = found.group(1)
    done = await w.http.get(
        f"/slack/oauth_redirect?code=code-{team}&state={state}",
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert done.status == 200, await done.text()
    return token


async def a_critical_anomaly(w: World, tenant: str = "T1") -> str:
    """An anomaly of `tenant`'s, as the pipeline records it."""
    ev = event(65.54, size="p4d.24xlarge", resource_ids=("i-0abc", "i-0def"))
    await w.store.anomalies.create(tenant, ev, CRIT, datetime.now(UTC))
    return ev.event_id


async def test_install_creates_the_tenant_and_keeps_tokens_encrypted(world: World) -> None:
    token = await install(world)
    tenant = await world.store.tenants.get("T1")
    assert tenant is not None and tenant.status == "active"
    assert (tenant.alert_channel, tenant.installer_user_id) == ("C1", "U1")
    bot = await world.store.installations.bot_for("T1")
    assert bot is not None and bot.bot_token == token
    db = world.store.connection.db
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            assert token not in str(doc) and "hooksecret" not in str(doc)
    welcome = world.slack.last("chat.postMessage")
    assert welcome.body["channel"] == "C1" and welcome.token == token


async def test_a_reused_or_missing_oauth_state_installs_nothing(world: World) -> None:
    world.slack.add_oauth_code("code-T9", {"access_token": "xoxb-x", "team": {"id": "T9"}})
    done = await world.http.get("/slack/oauth_redirect?code=code-T9&state=forged")
    assert done.status >= 400
    assert await world.store.tenants.get("T9") is None


@pytest.mark.parametrize(
    ("secret", "age"),
    [("wrong-secret", 0), (SECRET, 6 * 60)],
    ids=["wrong signature", "stale (6 minutes)"],
)
async def test_unsigned_wrong_or_stale_requests_get_401(
    world: World, secret: str, age: int
) -> None:
    await install(world)
    before = len(world.slack.calls)
    body = slash_command(
        "status",
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        response_url=world.slack.response_url("r1"),
    )
    answer = await world.post(body, secret=secret, timestamp=int(time.time()) - age)
    assert answer.status == 401
    unsigned = await world.http.post(EVENTS_PATH, data=body)
    assert unsigned.status == 401
    await _sleep()
    assert len(world.slack.calls) == before and world.slack.responses("r1") == []


async def _command(world: World, text: str, key: str, team: str = "T1") -> list[dict[str, Any]]:
    body = slash_command(
        text,
        team_id=team,
        user_id="U1",
        channel_id="C1",
        response_url=world.slack.response_url(key),
    )
    answer = await world.post(body)
    assert answer.status == 200
    await eventually(lambda: bool(world.slack.responses(key)))
    return world.slack.responses(key)


async def test_status_shows_accounts_burn_and_open_anomalies(world: World) -> None:
    await install(world)
    await world.store.accounts.attach("T1", "111122223333", datetime.now(UTC))
    await a_critical_anomaly(world)
    [reply] = await _command(world, "status", "s1")
    text = str(reply["blocks"])
    assert reply["response_type"] == "ephemeral"
    assert "111122223333" in text and "1" in text
    shared = await _command(world, "status share", "s2")
    assert shared[0]["response_type"] == "in_channel"


async def test_anomalies_lists_newest_first_and_unknown_words_get_help(world: World) -> None:
    await install(world)
    first, second = await a_critical_anomaly(world), await a_critical_anomaly(world)
    [listing] = await _command(world, "anomalies all since 7d", "a1")
    assert str(listing["blocks"]).count("p4d.24xlarge") >= 2
    [helped] = await _command(world, "frobnicate", "h1")
    assert "/dd0c status" in str(helped["blocks"])
    assert first != second


async def test_digest_and_connect(world: World) -> None:
    await install(world)
    await a_critical_anomaly(world)
    [digest] = await _command(world, "digest", "d1")
    assert "p4d.24xlarge" in str(digest["blocks"])
    body = slash_command(
        "connect",
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        response_url=world.slack.response_url("c1"),
    )
    assert (await world.post(body)).status == 200
    await eventually(lambda: bool(world.slack.calls_to("views.open")))
    assert world.slack.last("views.open").body["view"]["callback_id"] == "connect_aws"


async def _click(world: World, action: str, anomaly_id: str, team: str = "T1") -> Any:
    body = block_action(
        action,
        anomaly_id,
        team_id=team,
        user_id="U07QWERTY1",
        channel_id="C1",
        message_ts="1700.000100",
        response_url=world.slack.response_url(f"click-{team}"),
    )
    return await world.post(body)


async def test_snooze_updates_the_message_and_a_second_click_is_harmless(world: World) -> None:
    await install(world)
    anomaly_id = await a_critical_anomaly(world)
    assert (await _click(world, "snooze_4h", anomaly_id)).status == 200
    await eventually(lambda: bool(world.slack.calls_to("chat.update")))
    update = world.slack.last("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("C1", "1700.000100")
    said = " ".join(str(b) for b in update.body["blocks"] if b["type"] == "context")
    assert "Snoozed for 4 h" in said and "<@U07QWERTY1>" in said, said
    snoozed = await world.store.anomalies.get("T1", anomaly_id)
    assert snoozed is not None and snoozed.status == "snoozed" and snoozed.snooze_until
    await _click(world, "snooze_4h", anomaly_id)
    await eventually(lambda: len(world.slack.calls_to("chat.update")) == 2)
    again = await world.store.anomalies.get("T1", anomaly_id)
    assert again is not None and again.status == "snoozed"


async def test_mark_expected_teaches_the_baseline(world: World) -> None:
    await install(world)
    anomaly_id = await a_critical_anomaly(world)
    await _click(world, "mark_expected", anomaly_id)
    await eventually(lambda: bool(world.slack.calls_to("chat.update")))
    marked = await world.store.anomalies.get("T1", anomaly_id)
    assert marked is not None and marked.status == "expected" and marked.status_by == "U07QWERTY1"
    baseline = await world.store.baselines.get(
        "T1", BaselineKey(marked.account_id, marked.service, marked.resource_type)
    )
    assert baseline is not None
    assert "p4d.24xlarge" in baseline.expected_sizes
    assert marked.principal_arn in baseline.expected_actors


async def test_a_click_from_another_workspace_changes_nothing(world: World) -> None:
    await install(world)
    await install(world, team="T2", user="U2", channel="C2")
    anomaly_id = await a_critical_anomaly(world, "T1")
    await _click(world, "mark_expected", anomaly_id, team="T2")
    await eventually(lambda: bool(world.slack.responses("click-T2")))
    assert world.slack.responses("click-T2")[0]["text"] == NOT_YOURS
    untouched = await world.store.anomalies.get("T1", anomaly_id)
    assert untouched is not None and untouched.status == "open"
    assert world.slack.calls_to("chat.update") == []


async def test_app_home_is_published_when_opened(world: World) -> None:
    await install(world)
    await a_critical_anomaly(world)
    body = event_callback({"type": "app_home_opened", "user": "U1", "tab": "home"}, team_id="T1")
    assert (await world.post(body)).status == 200
    await eventually(lambda: bool(world.slack.calls_to("views.publish")))
    view = world.slack.last("views.publish").body["view"]
    assert view["type"] == "home" and "p4d.24xlarge" in str(view["blocks"])


@pytest.mark.parametrize("kind", ["app_uninstalled", "tokens_revoked"])
async def test_uninstall_or_revocation_stops_all_posting(world: World, kind: str) -> None:
    await install(world)
    payload: dict[str, Any] = {"type": kind}
    if kind == "tokens_revoked":
        payload["tokens"] = {"bot": ["UBOTT1"]}
    assert (await world.post(event_callback(payload, team_id="T1"))).status == 200

    async def inactive() -> bool:
        tenant = await world.store.tenants.get("T1")
        return tenant is not None and tenant.status == "inactive"

    await eventually(inactive)
    assert await world.store.installations.bot_for("T1") is None
    anomaly_id = await a_critical_anomaly(world)
    notifier = Notifier(world.store, StoreRecipients(world.services), api_url=world.slack.base_url)
    posts = len(world.slack.calls_to("chat.postMessage"))
    assert await notifier.deliver_one()
    settled = await world.store.anomalies.get("T1", anomaly_id)
    assert settled is not None and settled.alert_state == "suppressed"
    assert len(world.slack.calls_to("chat.postMessage")) == posts


async def test_the_notifier_posts_to_the_channel_chosen_at_install(world: World) -> None:
    token = await install(world)
    anomaly_id = await a_critical_anomaly(world)
    notifier = Notifier(world.store, StoreRecipients(world.services), api_url=world.slack.base_url)
    assert await notifier.deliver_one()
    post = world.slack.last("chat.postMessage")
    assert (post.body["channel"], post.token) == ("C1", token)
    assert "aws ec2 stop-instances" in str(post.body["blocks"])
    sent = await world.store.anomalies.get("T1", anomaly_id)
    assert sent is not None and sent.alert_state == "sent" and sent.slack is not None


async def test_page_buttons_answer_with_the_requested_page(world: World) -> None:
    await install(world)
    for _ in range(12):
        await a_critical_anomaly(world)
    body = block_action(
        "anomalies_page",
        '{"scope":"all","page":2}',
        team_id="T1",
        user_id="U07QWERTY1",
        channel_id="C1",
        message_ts="1700.000200",
        response_url=world.slack.response_url("page"),
    )
    assert (await world.post(body)).status == 200
    await eventually(lambda: bool(world.slack.responses("page")))
    [reply] = world.slack.responses("page")
    assert reply["replace_original"] is True
    assert str(reply["blocks"]).count("p4d.24xlarge") == 2  # 12 anomalies, 10 a page


async def test_the_home_connect_button_opens_the_connect_dialog(world: World) -> None:
    await install(world)
    body = block_action(
        "open_connect",
        "",
        team_id="T1",
        user_id="U1",
        channel_id="",
        message_ts="",
        container="view",
        view_id="V1",
    )
    assert (await world.post(body)).status == 200
    await eventually(lambda: bool(world.slack.calls_to("views.open")))
    assert world.slack.last("views.open").body["view"]["callback_id"] == "connect_aws"
