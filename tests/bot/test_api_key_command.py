"""`/dd0c api-key …` and `/dd0c upgrade` over signed Slack requests, against the fake Slack API."""

from __future__ import annotations

from typing import Any

import pytest

from billing import messages as billing_messages
from storage.apikeys import KEY_PATTERN
from tests.bot.test_slack_app import World, eventually, install
from tests.bot.test_slack_app import world as world  # noqa: F401  # the fixture
from tests.slack_signing import slash_command
from tests.stores import NOW

# slack_sdk 3.48 builds aiohttp.BasicAuth for oauth.v2.access, which aiohttp 3.14 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


async def _command(w: World, text: str, key: str, user: str = "U1") -> dict[str, Any]:
    body = slash_command(
        text,
        team_id="T1",
        user_id=user,
        channel_id="C1",
        response_url=w.slack.response_url(key),
    )
    answer = await w.post(body)
    assert answer.status == 200
    await eventually(lambda: bool(w.slack.responses(key)))
    (reply,) = w.slack.responses(key)
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    return reply


async def test_an_admin_creates_lists_and_revokes_a_key_shown_once(world: World) -> None:
    await install(world)
    made = await _command(world, "api-key create grafana write", "create")
    secrets = [w for w in made["text"].replace("`", " ").split() if KEY_PATTERN.match(w)]
    assert len(secrets) == 1
    secret = secrets[0]
    key = await world.store.api_keys.verify(secret, NOW)
    assert key is not None and (key.name, key.scope, key.created_by) == ("grafana", "write", "U1")
    listed = await _command(world, "api-key list", "list")
    assert key.shown_prefix in listed["text"] and secret not in listed["text"]
    revoked = await _command(world, f"api-key revoke {key.id}", "revoke")
    assert "revoked" in revoked["text"]
    assert await world.store.api_keys.verify(secret, NOW) is None
    (entry,) = await world.store.audit.recent("T1", kind="apikey.created")
    assert secret not in str(entry.model_dump())


async def test_a_member_who_is_not_an_admin_gets_no_key(world: World) -> None:
    await install(world)
    reply = await _command(world, "api-key create mine", "member", user="U2")
    assert "Only a workspace admin" in reply["text"]
    assert await world.store.api_keys.for_tenant("T1") == []


async def test_bad_arguments_say_how(world: World) -> None:
    await install(world)
    assert "scope is" in (await _command(world, "api-key create ci admin", "scope"))["text"]
    assert "Usage" in (await _command(world, "api-key", "usage"))["text"]
    assert "No live API key" in (await _command(world, "api-key revoke abc", "none"))["text"]


async def test_upgrade_without_billing_says_it_is_not_configured(world: World) -> None:
    await install(world)
    reply = await _command(world, "upgrade", "upgrade")
    texts = [block["text"]["text"] for block in reply["blocks"] if block["type"] == "section"]
    assert any(billing_messages.DISABLED in text for text in texts)
