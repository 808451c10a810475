"""No secret reaches the logs, even at DEBUG: install, connect through moto's STS, a callback.

Every secret is a fresh fake made here; afterwards the whole log output is searched for each of
them (as written, URL-encoded and JSON-escaped). Run twice: LOG_LEVEL=DEBUG alone (the libraries
stay at INFO) and with LOG_LEVEL_THIRD_PARTY=DEBUG too (slack_sdk, Bolt, botocore and aiohttp log
their wire traffic, and only the redaction filter stands between it and the log).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from moto.sts.models import sts_backends

from bot.app import SlackConfig, build, routes
from bot.onboarding import Onboarding
from bot.onboarding import register as register_onboarding
from bot.services import SlackServices
from logconfig import AccessLogger, configure_logging
from logconfig.handlers import redact_every_handler
from onboarding.callback import callback_routes
from onboarding.connect import CallbackTokens, LinkSettings
from onboarding.validation import validator
from pricing import load_catalogue
from storage import memory_store
from storage.crypto import TokenCipher
from tests.bot.test_slack_app import World, eventually
from tests.onboarding.test_connect import Faults, customer, moto_factory
from tests.scenarios.test_onboarding_slack import BUS, TEMPLATE
from tests.slack_fake import FakeSlack
from tests.slack_signing import slash_command

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.slow,  # the service in a subprocess at DEBUG, twice: 5-7 s each
]

CATALOGUE = load_catalogue()
TEAM, USER, CHANNEL = "T9LOG", "U9LOG", "C9LOG"

MOTO_VALIDATE_TIMEOUT = 60.0


def _fake(prefix: str = "") -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Secrets:
    """Every secret of one run, all fresh fakes; AWS's are added as moto issues them."""

    signing: str = field(default_factory=lambda: _fake("fake-signing-"))
    client_secret: str = field(default_factory=lambda: _fake("fake-client-"))
    token_key: str = field(default_factory=lambda: _fake("fake-token-key-"))
    bot_token: str = field(default_factory=lambda: f"xoxb-9{secrets.randbelow(10**9)}-" + _fake())
    webhook_secret: str = field(default_factory=_fake)
    oauth_code: str = field(default_factory=lambda: _fake("fake-code-"))
    found: list[str] = field(default_factory=list)  # state, callback token, AWS credentials

    @property
    def webhook_url(self) -> str:
        """The incoming webhook Slack hands out at install."""
        return f"https://hooks.slack.com/services/{TEAM}/B9LOG/{self.webhook_secret}"

    def values(self) -> list[str]:
        """Every secret, and the Basic credentials oauth.v2.access sends."""
        basic = base64.b64encode(f"111.222:{self.client_secret}".encode()).decode()
        fixed = [self.signing, self.client_secret, self.token_key, self.bot_token]
        return [*fixed, self.webhook_secret, self.oauth_code, basic, *self.found]


class RecordingFaults(Faults):
    """moto's STS behind the ExternalId check, remembering every credential AssumeRole issued."""

    issued: list[str]

    async def call(self, name: str, real: Any, params: dict[str, Any]) -> Any:
        answer = await super().call(name, real, params)
        if name == "sts.assume_role":
            credentials = answer["Credentials"]
            self.issued += [credentials["SecretAccessKey"], credentials["SessionToken"]]
        return answer


def moto_issued() -> list[str]:
    """Every temporary secret moto's STS has issued in this process (setup's included)."""
    issued = []
    for account in list(sts_backends):
        for backend in sts_backends[account].values():
            for role in backend.assumed_roles:
                issued += [role.secret_access_key, role.session_token]
    return issued


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The log stream; the root logger and every level put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    stream = io.StringIO()
    yield stream
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@dataclass
class Run:
    """The service's Slack and onboarding edges, wired as app.py wires them."""

    world: World
    faults: RecordingFaults
    tokens: CallbackTokens


@asynccontextmanager
async def start(moto_endpoint: str, s: Secrets) -> AsyncIterator[Run]:
    """Bolt + onboarding + the stack callback on one aiohttp app, access log as in app.py."""
    async with FakeSlack() as slack:
        store = memory_store(TokenCipher([s.token_key]))
        await store.start(datetime.now(UTC))
        services = SlackServices(store)
        config = SlackConfig("111.222", s.client_secret, s.signing, slack.base_url)
        bolt = build(config, services)
        faults = RecordingFaults(moto_factory(moto_endpoint))
        faults.issued = s.found
        tokens = CallbackTokens([s.token_key])
        validate = validator(faults, lambda: datetime.now(UTC))
        onboarding = Onboarding(
            services,
            CATALOGUE,
            validate,
            tokens,
            slack.base_url,
            link=LinkSettings(TEMPLATE, BUS, "https://cost.example.com/onboarding/callback"),
            endpoint_url=moto_endpoint,
            # moto on a loaded machine answers far slower than AWS; the 2.5 s budget inside
            # Slack's 3 s answer has its own test (tests/bot/test_onboarding_budget.py)
            validate_timeout=MOTO_VALIDATE_TIMEOUT,
        )
        services.onboarding = onboarding
        register_onboarding(bolt, onboarding)
        app = web.Application(handler_args={"access_log_class": AccessLogger})
        app.add_routes(routes(bolt))
        now = lambda: datetime.now(UTC)  # noqa: E731
        app.add_routes(
            callback_routes(store, validate, onboarding.connected, now=now, tokens=tokens)
        )
        async with TestClient(TestServer(app)) as http:
            yield Run(World(slack, store, services, http), faults, tokens)
        await store.close()


async def install(run: Run, s: Secrets) -> None:
    """The real OAuth flow: install page, state cookie, redirect with the code."""
    run.world.slack.add_workspace(s.bot_token, TEAM, "UBOT9LOG")
    run.world.slack.add_oauth_code(
        s.oauth_code,
        {
            "access_token": s.bot_token,
            "token_type": "bot",
            "scope": "chat:write,commands,incoming-webhook,im:write",
            "bot_user_id": "UBOT9LOG",
            "app_id": "A1",
            "team": {"id": TEAM, "name": "Log Team"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": USER},
            "incoming_webhook": {
                "channel": "#aws-alerts",
                "channel_id": CHANNEL,
                "configuration_url": f"https://{TEAM}.slack.com/services/B9LOG",
                "url": s.webhook_url,
            },
        },
    )
    http = run.world.http
    page = await http.get("/slack/install")
    found = re.search(r"state=([A-Za-z0-9_\-]+)", await page.text())
    assert page.status == 200 and found
    state = found.group(1)
    s.found.append(state)
    done = await http.get(
        f"/slack/oauth_redirect?code={s.oauth_code}&state={state}",
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert done.status == 200, await done.text()


async def connect(run: Run, s: Secrets) -> None:
    """/dd0c connect: the modal with the quick-create link, which carries the tenant token."""
    world = run.world
    command = slash_command(
        "connect",
        team_id=TEAM,
        user_id=USER,
        channel_id=CHANNEL,
        response_url=world.slack.response_url("log"),
    )
    assert (await world.post(command, secret=s.signing)).status == 200
    await eventually(lambda: bool(world.slack.calls_to("views.open")))
    s.found.append(run.tokens.token_for(TEAM))
    assert s.found[-1] in json.dumps(world.slack.last("views.open").body)


async def stack_created(run: Run, moto_endpoint: str) -> None:
    """The customer's stack calls back; the role is checked through moto's STS, the account
    connected, the zombie scan posted."""
    external_id = await run.world.store.tenants.ensure_external_id(TEAM, datetime.now(UTC))
    assert external_id is not None
    run.faults.external_id = external_id
    aws = await customer(moto_endpoint, external_id)
    callback = {
        "event": "create",
        "accountId": aws.account_id,
        "roleArn": aws.role_arn,
        "externalId": external_id,
        "tenantToken": run.tokens.token_for(TEAM),
        "stackId": f"arn:aws:cloudformation:us-east-1:{aws.account_id}:stack/dd0c-cost/1",
        "region": "us-east-1",
    }
    answer = await run.world.http.post("/onboarding/callback", json=callback)
    assert answer.status == 200, await answer.text()
    assert "sts.assume_role" in run.faults.names()


@pytest.mark.parametrize("third_party", [None, "DEBUG"], ids=["libraries-at-INFO", "all-DEBUG"])
async def test_a_debug_run_writes_no_secret_to_the_logs(
    moto_endpoint: str, captured_logs: io.StringIO, third_party: str | None
) -> None:
    s = Secrets()
    configure_logging("DEBUG", third_party, captured_logs)
    # A second, plain-text handler ahead of the JSON one: the filter guards every handler.
    plain = io.StringIO()
    handler = logging.StreamHandler(plain)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().handlers.insert(0, handler)
    redact_every_handler()
    async with start(moto_endpoint, s) as run:
        await install(run, s)
        await connect(run, s)
        await stack_created(run, moto_endpoint)
        await eventually(lambda: len(run.world.slack.calls_to("chat.postMessage")) >= 2)

    logs = captured_logs.getvalue() + plain.getvalue()
    s.found += moto_issued()
    assert len(s.found) >= 4 and all(len(value) >= 16 for value in s.values())
    leaked = [
        line[:600]
        for value in s.values()
        for shown in {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
        for line in logs.splitlines()
        if shown in line
    ]
    assert leaked == []
    loggers = {json.loads(line)["logger"] for line in captured_logs.getvalue().splitlines()}
    assert (
        "aiohttp.access" in loggers and "INFO aiohttp.access GET /slack/install" in plain.getvalue()
    )
    wire = {"botocore.endpoint", "slack_sdk.web.async_base_client"}
    assert wire <= loggers if third_party == "DEBUG" else not wire & loggers
