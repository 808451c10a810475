"""Every other route under hostile input: the OAuth install and redirect, /healthz, /readyz and
paths that do not exist answer below 500 whatever the query, cookies or headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.test_routes import DEV, OPS_TOKEN, served
from tests.bot.test_slack_app import World, install
from tests.bot.test_slack_app import world as world  # noqa: F401 - the fixture

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_header = st.text(_printable, max_size=300)
_query = st.lists(
    st.tuples(
        st.sampled_from(["code", "state", "error", "x", "code[]", ""]) | st.text(max_size=8),
        st.text(max_size=60),
    ),
    max_size=4,
).map(lambda pairs: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs))


@pytest.fixture
async def dev() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The dev-mode service (real Redis, in-process store), started once for all examples."""
    async with served(DEV) as client:
        yield client


@FUZZ
@given(
    path=st.sampled_from(["/slack/install", "/slack/oauth_redirect"]), query=_query, cookie=_header
)
async def test_oauth_routes_never_answer_5xx(
    world: World, path: str, query: str, cookie: str
) -> None:
    answer = await world.http.get(f"{path}?{query}", headers={"Cookie": cookie})
    assert answer.status < 500
    if world.slack.calls == []:  # once: installing still works between the hostile requests
        await install(world)


@FUZZ
@given(path=st.sampled_from(["/healthz", "/readyz"]), query=_query, authorization=_header)
async def test_health_routes_never_answer_5xx(
    dev: TestClient[web.Request, web.Application], path: str, query: str, authorization: str
) -> None:
    answer = await dev.get(f"{path}?{query}", headers={"Authorization": authorization})
    assert answer.status == 200
    body = await answer.json()
    assert "checks" not in body or authorization.strip() == f"Bearer {OPS_TOKEN}"


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.text(_printable, max_size=80),
    body=st.binary(max_size=200),
)
async def test_any_path_and_method_answers_below_500(
    dev: TestClient[web.Request, web.Application], method: str, path: str, body: bytes
) -> None:
    answer = await dev.request(method, "/" + quote(path.lstrip("/"), safe="/?=&"), data=body)
    assert answer.status < 500
