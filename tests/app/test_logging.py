"""logconfig: one JSON object a line on stderr, `extra` fields, secrets masked, libraries quiet."""

from __future__ import annotations

import io
import logging
import secrets
import sys
import time
from collections.abc import Iterator

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from logconfig import (
    MASK,
    AccessLogger,
    JsonFormatter,
    RedactingFilter,
    configure_logging,
    redact,
)
from logconfig.handlers import FIRST_PARTY, redact_every_handler


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in FIRST_PARTY}
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_one_json_line_with_extra_fields(
    restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    log = logging.getLogger("tests.app")
    log.debug("not shown")
    log.info("hello %s", "world", extra={"queue_url": "https://q", "count": 3})
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = orjson.loads(lines[0])
    assert entry["message"] == "hello world"
    assert (entry["level"], entry["logger"]) == ("INFO", "tests.app")
    assert (entry["queue_url"], entry["count"]) == ("https://q", 3)
    assert entry["time"].endswith("+00:00")
    assert "args" not in entry and "msg" not in entry


def test_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in orjson.loads(line)["exception"]


def _fake(prefix: str = "") -> str:
    return prefix + secrets.token_hex(12)


SLACK_TOKEN = "xoxb-12345-" + _fake()
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+" + secrets.token_hex(9)  # 40 characters, AWS's alphabet
SESSION = "FQoGZXIvYXdzEBYaD" + secrets.token_hex(24)
CALLBACK_TOKEN = "v1." + _fake() + "." + _fake()
WEBHOOK = "https://hooks.slack.com/services/T1/B2/" + _fake()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {SLACK_TOKEN}", SLACK_TOKEN),
        (f"headers={{'Authorization': 'Bearer {SLACK_TOKEN}'}}", SLACK_TOKEN),
        (f"token {SLACK_TOKEN.replace('xoxb', 'xoxp')} refresh xoxe.xoxp-1-{_fake()}", "xoxp-1-"),
        (f"app token xapp-1-A1-{_fake()}", "xapp-1-A1-"),
        (f"posted to {WEBHOOK}", WEBHOOK.rsplit("/", 3)[1]),
        (f'{{"incoming_webhook": {{"url": "{WEBHOOK}"}}}}', WEBHOOK[-24:]),
        (f"<SecretAccessKey>{AWS_SECRET}</SecretAccessKey>", AWS_SECRET),
        (f"<SessionToken>{SESSION}</SessionToken>", SESSION),
        (f"{{'Credentials': {{'SecretAccessKey': '{AWS_SECRET}'}}}}", AWS_SECRET),
        (f"{{'X-Amz-Security-Token': b'{SESSION}'}}", SESSION),
        (f"X-Amz-Security-Token: {SESSION}\r\nHost: sts", SESSION),
        (f"session {SESSION} used", SESSION),
        (f"ASIAIOSFODNN7EXAMPLE:{AWS_SECRET}", AWS_SECRET),
        (f"aws_secret_access_key={AWS_SECRET}", AWS_SECRET),
        (f"ReadOnlyCredentials(access_key='A', secret_key='{AWS_SECRET}', token='x')", AWS_SECRET),
        (f"quickcreate?templateURL=x&param_TenantToken={CALLBACK_TOKEN}&param_X=1", CALLBACK_TOKEN),
        (f'{{\\"tenantToken\\": \\"{CALLBACK_TOKEN}\\"}}', CALLBACK_TOKEN),
        (f"GET /slack/oauth_redirect?code={_fake('c')}&state=s{CALLBACK_TOKEN}", CALLBACK_TOKEN),
        (f"query: {{'code': ['{CALLBACK_TOKEN}'], 'state': ['x']}}", CALLBACK_TOKEN),
        (f"stripe sk_live_{CALLBACK_TOKEN[3:]} and rk_test_{_fake()}", CALLBACK_TOKEN[3:]),
        (f"signing whsec_{CALLBACK_TOKEN[3:]}", CALLBACK_TOKEN[3:]),
        (f"api key dd0c_live_{CALLBACK_TOKEN[3:]}", CALLBACK_TOKEN[3:]),
        (f"mongodb://admin:{AWS_SECRET[:12]}@db:27017/x", AWS_SECRET[:12]),
        (f"Authorization: Basic {AWS_SECRET}", AWS_SECRET),
        (f"client_secret={AWS_SECRET[:20]}&code=1", AWS_SECRET[:20]),
    ],
    # Named cases: the secrets are random, and a test id must be the same in every process
    # (pytest-xdist's workers collect separately and compare).
    ids=[
        "bearer",
        "bearer-in-headers",
        "xoxp-and-refresh",
        "app-token",
        "webhook",
        "webhook-in-json",
        "aws-secret-xml",
        "session-token-xml",
        "aws-secret-dict",
        "security-token-bytes",
        "security-token-header",
        "session-token-text",
        "key-pair",
        "aws-secret-assignment",
        "read-only-credentials",
        "tenant-token-in-link",
        "tenant-token-escaped-json",
        "oauth-code-and-state",
        "oauth-code-query",
        "stripe-keys",
        "stripe-webhook-secret",
        "api-key",
        "mongodb-password",
        "basic-auth",
        "client-secret",
    ],
)
def test_redact_masks_every_kind_of_secret(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert MASK in masked


@pytest.mark.parametrize(
    "text",
    [
        "<Code>AccessDenied</Code><Message>not allowed</Message>",
        '{"status": "ok", "account_id": "123456789012", "state": {"values": {}}}',
        "RunInstances p4d.24xlarge in us-east-1 by arn:aws:iam::123456789012:user/bob",
        "https://sqs.us-east-1.amazonaws.com/123456789012/event-ingestion.fifo",
        "AccessKeyId ASIAIOSFODNN7EXAMPLE",
    ],
)
def test_redact_leaves_what_is_not_secret(text: str) -> None:
    assert redact(text) == text


def test_the_filter_masks_arguments_extra_fields_and_tracebacks(
    restore_root_logger: None,
) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    log = logging.getLogger("bot.tests")
    try:
        raise RuntimeError(f"Authorization: Bearer {SLACK_TOKEN}")
    except RuntimeError:
        log.exception(
            "sent %s",
            {"token": SLACK_TOKEN},
            extra={"client_secret": "plain-" + AWS_SECRET, "body": {"url": WEBHOOK}, "n": 3},
        )
    [entry] = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    output = stream.getvalue()
    for secret in (SLACK_TOKEN, AWS_SECRET, WEBHOOK):
        assert secret not in output
    assert entry["message"] == "sent {'token': '***'}"
    assert (entry["client_secret"], entry["n"]) == (MASK, 3)
    assert entry["body"] == {"url": f"https://hooks.slack.com/{MASK}"}
    assert "RuntimeError: Authorization: ***" in entry["exception"]


def test_every_root_handler_gets_the_filter(restore_root_logger: None) -> None:
    configure_logging("INFO", stream=io.StringIO())
    extra = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(extra)
    redact_every_handler()
    for handler in logging.getLogger().handlers:
        assert [type(f) for f in handler.filters] == [RedactingFilter]


@pytest.mark.parametrize(
    ("level", "third_party", "ours", "theirs"),
    [
        ("DEBUG", None, logging.DEBUG, logging.INFO),
        ("DEBUG", "DEBUG", logging.DEBUG, logging.DEBUG),
        ("ERROR", None, logging.ERROR, logging.ERROR),
        ("INFO", "WARNING", logging.INFO, logging.WARNING),
    ],
)
def test_libraries_log_at_their_own_level(
    restore_root_logger: None, level: str, third_party: str | None, ours: int, theirs: int
) -> None:
    configure_logging(level, third_party, io.StringIO())
    for name in ("app", "bot.app", "onboarding.callback", "__main__", "storage.client"):
        assert logging.getLogger(name).getEffectiveLevel() == ours, name
    for name in ("slack_sdk.web", "slack_bolt.dd0c", "botocore.endpoint", "aiohttp.access"):
        assert logging.getLogger(name).getEffectiveLevel() == theirs, name
    for name in ("urllib3", "aiobotocore", "pymongo", "boto3", "aiohttp.client", "asyncio"):
        assert logging.getLogger(name).getEffectiveLevel() == theirs, name


async def test_the_access_log_keeps_query_names_not_values(restore_root_logger: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    app = web.Application(handler_args={"access_log_class": AccessLogger})

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/slack/oauth_redirect", ok)
    code, state = _fake("code-"), _fake("state-")
    async with TestClient(TestServer(app)) as client:
        response = await client.get(
            f"/slack/oauth_redirect?code={code}&state={state}",
            headers={"Referer": f"https://slack.com/x?code={code}"},
        )
        assert response.status == 200
        missing = await client.get(f"/nowhere?token={state}&x")
        assert missing.status == 404
    output = stream.getvalue()
    assert code not in output and state not in output
    messages = [orjson.loads(line)["message"] for line in output.splitlines()]
    assert "GET /slack/oauth_redirect?code=***&state=*** 200" in messages
    assert "GET /nowhere?token=***&x=*** 404" in messages


@pytest.mark.parametrize(
    "text",
    [
        "a" * 100_000,
        "token" * 20_000,
        "'" + "a" * 100_000,
        "http://" + "a:" * 50_000,
        "<token>" * 15_000,
    ],
    ids=["letters", "key names", "quoted", "userinfo", "xml"],
)
def test_redaction_stays_linear_on_hostile_text(text: str) -> None:
    started = time.process_time()
    redact(text)
    assert time.process_time() - started < 2.0  # quadratic patterns took minutes on these
