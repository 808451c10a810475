"""GET /healthz (alive) and GET /readyz (MongoDB, Redis and SQS answer; details for operators)."""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from botocore.exceptions import ClientError
from pydantic import SecretStr

from app.services import SERVICES, SETTINGS, Services
from settings import Settings, mask_url
from storage import Store

CHECK_TIMEOUT = 2.0


async def healthz(request: web.Request) -> web.Response:
    """The process is alive (no dependency is checked)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """MongoDB, Redis and SQS answer (checked concurrently). Anyone sees ready or not and the
    failing dependencies' names; the operator (`Authorization: Bearer $DD0C_OPS_TOKEN`) also
    sees each check's answer and the ingest counters."""
    settings, services = request.app[SETTINGS], request.app.get(SERVICES)
    if services is None:
        return web.json_response({"ready": False, "failing": ["start-up"]}, status=503)
    names = ("mongodb", "redis", "sqs")
    results = await asyncio.gather(
        _check(services.store.ping, _store_target(settings, services.store)),
        _check(services.redis.ping, mask_url(settings.redis_url.get_secret_value())),
        _check_sqs(settings, services),
    )
    checks = dict(zip(names, results, strict=True))
    failing = [name for name, result in checks.items() if result not in ("ok", "not configured")]
    body: dict[str, Any] = {"ready": not failing, "failing": failing}
    if is_operator(request, settings.ops_token):
        body |= {"checks": checks, "ingest": _ingest_stats(services)}
    return web.json_response(body, status=503 if failing else 200)


def is_operator(request: web.Request, token: SecretStr | None) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (never true when unset)."""
    if token is None:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    expected = token.get_secret_value().encode()
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected)


async def _check(probe: Callable[[], Awaitable[Any]], target: str) -> str:
    """'ok', or what is wrong with `target` (exception type or AWS error code, never text)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await probe()
    except TimeoutError:
        return f"timed out after {CHECK_TIMEOUT:g} s: {target}"
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", type(exc).__name__)
        return f"error: {target} ({code})"
    except Exception as exc:
        return f"unreachable: {target} ({type(exc).__name__})"
    return "ok"


async def _check_sqs(settings: Settings, services: Services) -> str:
    consumer, task = services.consumer, services.consumer_task
    if consumer is None or task is None:
        return "not configured"
    target = settings.sqs_queue_url or ""
    if services.stopping:
        return f"stopping: {target}"
    if task.done():
        return f"consumer stopped: {target}"
    return await _check(consumer.ping, target)


def _store_target(settings: Settings, store: Store) -> str:
    if store.kind == "in-process" or settings.mongodb_uri is None:
        return "in-process"
    return mask_url(settings.mongodb_uri.get_secret_value())


def _ingest_stats(services: Services) -> dict[str, Any]:
    consumer = services.consumer
    return {
        "consumer": dataclasses.asdict(consumer.stats) if consumer else None,
        "pipeline": dataclasses.asdict(services.pipeline.stats),
    }
