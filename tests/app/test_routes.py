"""/healthz and /readyz through aiohttp's test server: real Redis, moto's SQS, in-process store."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app import build_app
from settings import load_settings
from tests.aws import create_queues, unique_name

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

OPS_TOKEN = "fake-ops-" + secrets.token_hex(16)
DEV = {"DD0C_DEV": "1", "REDIS_URL": "redis://127.0.0.1:6379/0", "DD0C_OPS_TOKEN": OPS_TOKEN}
OPERATOR = {"Authorization": f"Bearer {OPS_TOKEN}"}


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def served(env: Mapping[str, str]) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The app built from `env`, started (cleanup_ctx) and served on a local port."""
    app = build_app(load_settings(env))
    client = TestClient(TestServer(app))
    async with client:  # starts the server, so the app's cleanup_ctx runs, and stops both
        yield client


async def get_json(
    client: TestClient[web.Request, web.Application],
    path: str,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    response = await client.get(path, headers=headers)
    return response.status, await response.json()


async def test_healthz_checks_nothing() -> None:
    async with served({**DEV, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}) as client:
        assert await get_json(client, "/healthz") == (200, {"status": "ok"})


async def test_ready_in_dev_mode_with_real_redis_and_no_queue() -> None:
    async with served(DEV) as client:
        status, body = await get_json(client, "/readyz", OPERATOR)
    assert status == 200
    assert body["ready"] is True
    assert body["checks"] == {"mongodb": "ok", "redis": "ok", "sqs": "not configured"}
    assert body["ingest"]["consumer"] is None
    assert body["ingest"]["pipeline"]["messages"] == 0


async def test_not_ready_when_redis_is_unreachable() -> None:
    port = closed_port()
    env = {**DEV, "REDIS_URL": f"redis://:hunter2@127.0.0.1:{port}/0"}
    async with served(env) as client:
        status, body = await get_json(client, "/readyz", OPERATOR)
        assert await get_json(client, "/healthz") == (200, {"status": "ok"})
    assert status == 503
    assert body["ready"] is False
    assert (
        body["checks"]["redis"] == f"unreachable: redis://***@127.0.0.1:{port}/0 (ConnectionError)"
    )
    assert body["checks"]["mongodb"] == "ok"
    assert "hunter2" not in str(body)


@pytest.mark.slow  # the consumer's shortest long poll (2 s) ends before clean-up
async def test_ready_with_the_queue_at_moto(moto_endpoint: str, sqs: SQSClient) -> None:
    urls = await create_queues(sqs, unique_name("readyz"))
    env = {
        **DEV,
        "SQS_QUEUE_URL": urls.queue_url,
        "SQS_DLQ_URL": urls.dlq_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
        # The consumer runs here; its long poll is derived from this (2 s instead of the
        # default 20 s), and the app's clean-up waits for that poll to end (app/wiring.py).
        "DD0C_VISIBILITY_TIMEOUT": "5",
    }
    async with served(env) as client:
        status, body = await get_json(client, "/readyz", OPERATOR)
    assert (status, body["checks"]["sqs"]) == (200, "ok")
    assert body["ready"] is True
    assert body["ingest"]["consumer"]["receive_errors"] == 0


async def test_not_ready_when_the_queue_does_not_exist(moto_endpoint: str) -> None:
    missing = f"{moto_endpoint}/123456789012/{unique_name('missing')}.fifo"
    env = {**DEV, "SQS_QUEUE_URL": missing, "AWS_ENDPOINT_URL": moto_endpoint}
    async with served(env) as client:
        status, body = await get_json(client, "/readyz", OPERATOR)
    assert status == 503
    assert body["ready"] is False
    assert body["checks"]["sqs"].startswith(f"error: {missing} (")
    assert "NonExistentQueue" in body["checks"]["sqs"]
    assert body["checks"]["redis"] == "ok"


async def test_the_public_answer_names_only_the_failing_dependency(
    moto_endpoint: str,
) -> None:
    missing = f"{moto_endpoint}/123456789012/{unique_name('missing')}.fifo"
    env = {**DEV, "SQS_QUEUE_URL": missing, "AWS_ENDPOINT_URL": moto_endpoint}
    wrong = {"Authorization": f"Bearer {OPS_TOKEN}x"}
    async with served(env) as client:
        answers = [
            await get_json(client, "/readyz", headers)
            for headers in (None, wrong, {"Authorization": OPS_TOKEN}, {"Authorization": "Bearer"})
        ]
        lower = {"authorization": f"bearer {OPS_TOKEN}"}
        status, detailed = await get_json(client, "/readyz", lower)
    assert answers == [(503, {"ready": False, "failing": ["sqs"]})] * 4
    assert "123456789012" not in str(answers)
    assert status == 503 and detailed["checks"]["sqs"].startswith("error: ")


async def test_no_details_without_an_operator_token_set() -> None:
    env = {key: value for key, value in DEV.items() if key != "DD0C_OPS_TOKEN"}
    async with served(env) as client:
        for headers in (None, OPERATOR, {"Authorization": "Bearer "}):
            assert await get_json(client, "/readyz", headers) == (
                200,
                {"ready": True, "failing": []},
            )
