"""POST /slack/events under hostile input: 401 for bad signature headers, 400 for bad bodies,
never a 5xx, nothing changed by a refused request, and the app keeps serving afterwards."""

from __future__ import annotations

import io
import json
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import EVENTS_PATH
from tests.bot.test_slack_app import SECRET, World, a_critical_anomaly, install
from tests.bot.test_slack_app import world as world  # noqa: F401 - the fixture
from tests.slack_signing import (
    FORM,
    JSON,
    block_action,
    event_callback,
    sign,
    slash_command,
    url_verification,
)

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DEEP = "[" * 100_000 + "]" * 100_000
NOWHERE = "http://127.0.0.1:1/respond"  # replaced by the fake Slack's response URL when sent


def payload(body: Any) -> bytes:
    """An interactivity form body whose payload is `body` as JSON (or raw when a str)."""
    raw = body if isinstance(body, str) else json.dumps(body)
    return urlencode({"payload": raw}).encode()


def actions(value: Any, **more: Any) -> dict[str, Any]:
    """A block_actions payload with `actions` = `value`."""
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "actions": value,
        **more,
    }


async def snapshot(world: World) -> dict[str, list[Any]]:
    """Every document of every collection of the store, for "nothing changed"."""
    db = world.store.connection.db
    return {
        name: sorted(map(repr, await db[name].find({}).to_list(None)))
        for name in sorted(await db.list_collection_names())
    }


async def post(world: World, body: bytes, headers: dict[str, str]) -> int:
    """POST to /slack/events; the status."""
    answer = await world.http.post(EVENTS_PATH, data=body, headers=headers)
    return answer.status


def signed(body: bytes, content_type: str = FORM) -> dict[str, str]:
    """Headers as Slack sends them, signed with the app's secret now."""
    return {"Content-Type": content_type, **sign(body, SECRET)}


async def still_serving(world: World) -> None:
    """A valid /dd0c help still answers 200."""
    url = world.slack.response_url(f"help-{time.monotonic_ns()}")
    body = slash_command("help", team_id="T1", user_id="U1", channel_id="C1", response_url=url)
    assert await post(world, body.encode(), signed(body.encode())) == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1e10", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=zz"},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        {},
    ],
    ids=["abc", "1e10", "400 digits", "empty", "negative", "bad signature", "no signature", "none"],
)
async def test_bad_signature_headers_get_401(world: World, headers: dict[str, str]) -> None:
    await install(world)
    before = await snapshot(world)
    assert await post(world, b"command=%2Fdd0c&text=status", headers) == 401
    assert await snapshot(world) == before


async def test_a_second_timestamp_header_gets_401(world: World) -> None:
    body = b"command=%2Fdd0c&text=help"
    good = sign(body, SECRET)
    headers = [
        ("X-Slack-Request-Timestamp", good["X-Slack-Request-Timestamp"]),
        ("X-Slack-Request-Timestamp", "abc"),
        ("X-Slack-Signature", good["X-Slack-Signature"]),
    ]
    answer = await world.http.post(EVENTS_PATH, data=body, headers=headers)
    assert answer.status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=\xff\xfe", FORM),
        (b"\xff{}", JSON),
        (payload(None), FORM),
        (payload([]), FORM),
        (payload("{broken"), FORM),
        (payload(DEEP), FORM),
        (DEEP.encode(), JSON),
        (b"{broken", JSON),
        (b"[]", JSON),
        (b"null", JSON),
        (payload(actions(None)), FORM),
        (payload(actions([])), FORM),
        (payload(actions([{"value": "x"}])), FORM),
        (payload(actions("snooze_1h")), FORM),
        (payload(actions([{"action_id": 7}])), FORM),
        (payload(actions([{"action_id": "snooze_1h", "value": "x"}], team=["T1"])), FORM),
        (payload({"type": "view_submission", "view": None, "team": {"id": "T1"}}), FORM),
        (payload({"type": "view_submission", "view": {"callback_id": "x", "state": []}}), FORM),
        (json.dumps({"type": "event_callback", "event": None, "team_id": "T1"}).encode(), JSON),
        (json.dumps({"type": "event_callback", "event": {"type": 1}}).encode(), JSON),
        (json.dumps({"type": "url_verification"}).encode(), JSON),
        (json.dumps({"type": 5}).encode(), JSON),
        (b"command=&text=status&team_id=T1", FORM),
    ],
)
async def test_malformed_signed_bodies_get_400_and_change_nothing(
    world: World, body: bytes, content_type: str
) -> None:
    await install(world)
    await a_critical_anomaly(world)
    before, calls = await snapshot(world), len(world.slack.calls)
    assert await post(world, body, signed(body, content_type)) == 400
    assert await snapshot(world) == before
    assert len(world.slack.calls) == calls
    await still_serving(world)


async def test_a_body_over_one_mebibyte_gets_413(world: World) -> None:
    body = b"x" * (1024 * 1024 + 1)
    answer = await world.http.post(EVENTS_PATH, data=io.BytesIO(body), headers=signed(body))
    assert answer.status == 413


# ----------------------------------------------------------------- property tests

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_header_value = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=500
) | st.sampled_from(["abc", "1e10", "9" * 400, "", " 1", "0x10", "v0=", "٣٣٣"])


@FUZZ
@given(timestamp=_header_value, signature=_header_value, body=st.binary(max_size=300))
async def test_any_unsigned_request_gets_401(
    world: World, timestamp: str, signature: str, body: bytes
) -> None:
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    ssl_check = parse_qs(body.decode("utf-8", "replace")).get("ssl_check") == ["1"]
    assert await post(world, body, headers) == (200 if ssl_check else 401)


def _realistic() -> list[tuple[dict[str, Any], str]]:
    """Well-formed requests of every kind the app handles, as (parsed body, how it is sent)."""
    command = {
        key: values[0]
        for key, values in parse_qs(
            slash_command(
                "status", team_id="T1", user_id="U1", channel_id="C1", response_url=NOWHERE
            )
        ).items()
    }
    click = block_action(
        "snooze_1h",
        "ev-1",
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        message_ts="1",
        response_url=NOWHERE,
    )
    return [
        (command, "form"),
        (json.loads(parse_qs(click)["payload"][0]), "payload"),
        (json.loads(event_callback({"type": "tokens_revoked", "tokens": {}}, team_id="T1")), JSON),
        (json.loads(url_verification("challenge-1")), JSON),
        (
            {
                "type": "view_submission",
                "team": {"id": "T1"},
                "user": {"id": "U1"},
                "view": {"callback_id": "connect_aws", "state": {"values": {}}},
            },
            "payload",
        ),
    ]


def _encode(body: dict[str, Any], how: str) -> tuple[bytes, str]:
    if how == "form":
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        return urlencode(fields).encode(), FORM
    if how == "payload":
        return payload(body), FORM
    return json.dumps(body).encode(), JSON


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    body, how = draw(st.sampled_from(_realistic()))
    body = json.loads(json.dumps(body))
    target: Any = body
    for _ in range(draw(st.integers(0, 3))):
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            if isinstance(target[key], dict | list) and draw(st.booleans()):
                target = target[key]
                continue
            if draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(_json)
            break
        if isinstance(target, list) and target:
            index = draw(st.integers(0, len(target) - 1))
            target[index] = draw(_json)
            break
    return _encode(body, how)


_bodies = (
    _mutated()
    | st.tuples(st.binary(max_size=200), st.sampled_from([FORM, JSON, "text/plain"]))
    | st.tuples(_json.map(lambda value: json.dumps(value).encode()), st.just(JSON))
    | st.tuples(_json.map(payload), st.just(FORM))
)


@pytest.mark.slow  # hypothesis, 120 signed requests through Bolt: 2-3 s
@FUZZ
@given(request=_bodies)
async def test_any_signed_body_gets_an_answer_below_500(
    world: World, request: tuple[bytes, str]
) -> None:
    if await world.store.tenants.get("T1") is None:  # once: the fixture outlives the examples
        await install(world)
        await a_critical_anomaly(world)
    body, content_type = request
    # Replies go to the fake Slack, as Slack's own response_url would take them.
    reply = world.slack.response_url("fuzz").encode()
    body = body.replace(NOWHERE.encode(), reply).replace(
        quote(NOWHERE, safe="").encode(), quote(reply, safe="").encode()
    )
    assert await post(world, body, signed(body, content_type)) < 500
    await still_serving(world)


async def test_slacks_certificate_check_gets_200_unsigned_and_runs_nothing(world: World) -> None:
    await install(world)
    before = await snapshot(world)
    assert await post(world, b"ssl_check=1&token=legacy", {"Content-Type": FORM}) == 200
    assert await post(world, b"ssl_check=0&token=legacy", {"Content-Type": FORM}) == 401
    assert await snapshot(world) == before
