"""API keys over HTTP: 401 / 403 / 429 as problem+json, revocation at once, workspaces apart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import redis.asyncio as aioredis

from api import Authenticator, RateLimit
from storage.apikeys import KEY_PATTERN, PREFIX
from tests.api.harness import served_api
from tests.app.test_routes import closed_port
from tests.redisdb import unique_prefix

A, B = "T_AAAA", "T_BBBB"


async def test_no_key_bad_scheme_unknown_and_malformed_keys_are_401_problems() -> None:
    async with served_api() as api:
        good = await api.key(A)
        forged = good[:-4] + ("aaaa" if not good.endswith("aaaa") else "bbbb")
        cases = [
            (None, {}),
            (None, {"Authorization": "Basic dXNlcjpwYXNz"}),
            (None, {"Authorization": "Bearer "}),
            (None, {"Authorization": "Bearer " + "x" * 500}),
            ("dd0c_live_nothing", {}),
            (forged, {}),
        ]
        for key, headers in cases:
            answer = await api.call("GET", "/v1/accounts", key, headers=headers)
            assert answer.status == 401, (key, headers)
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert answer.body["status"] == 401 and answer.body["detail"]


async def test_a_key_is_shown_once_and_stored_only_as_a_keyed_hash() -> None:
    async with served_api() as api:
        secret = await api.key(A, name="grafana")
        assert KEY_PATTERN.match(secret) and secret.startswith(PREFIX)
        (stored,) = await api.store.api_keys.for_tenant(A)
        raw = await api.store.connection.db["api_keys"].find_one({"_id": stored.id})
        assert secret not in str(raw)
        assert raw["keyHash"] != secret and len(raw["keyHash"]) == 64
        assert stored.shown_prefix == f"{PREFIX}{stored.id}…"
        assert (stored.scope, stored.created_by, stored.last_used_at) == ("read", "U_TEST", None)
        assert (await api.call("GET", "/v1/accounts", secret)).status == 200
        (used,) = await api.store.api_keys.for_tenant(A)
        assert used.last_used_at == api.clock()


async def test_revocation_works_at_once() -> None:
    async with served_api() as api:
        secret = await api.key(A)
        assert (await api.call("GET", "/v1/accounts", secret)).status == 200
        (stored,) = await api.store.api_keys.for_tenant(A)
        assert not await api.store.api_keys.revoke(B, stored.id, "U_OTHER", api.clock())
        assert (await api.call("GET", "/v1/accounts", secret)).status == 200
        assert await api.store.api_keys.revoke(A, stored.shown_prefix, "U_ADMIN", api.clock())
        answer = await api.call("GET", "/v1/accounts", secret)
        assert answer.status == 401 and answer.body["code"] == "invalid_key"


async def test_a_read_key_may_not_write() -> None:
    async with served_api() as api:
        read = await api.key(A, "read")
        answer = await api.call("DELETE", "/v1/accounts/111122223333", read)
        assert answer.status == 403 and answer.body["code"] == "scope"
        setup = await api.call("POST", "/v1/accounts/setup", read)
        assert setup.status == 403


async def test_rate_limit_per_key_answers_429_with_retry_after() -> None:
    async with served_api(per_minute=3) as api:
        first, second = await api.key(A), await api.key(A, name="other")
        api.clock.now = api.clock.now.replace(second=45)
        statuses = [(await api.call("GET", "/v1/accounts", first)).status for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await api.call("GET", "/v1/accounts", first)
        assert limited.headers["Retry-After"] == "15"
        assert limited.body["code"] == "rate_limited"
        assert (await api.call("GET", "/v1/accounts", second)).status == 200  # per key
        api.clock.advance(timedelta(seconds=15))  # the next minute
        assert (await api.call("GET", "/v1/accounts", first)).status == 200


async def test_a_second_workspace_sees_nothing_of_the_first() -> None:
    async with served_api() as api:
        now = api.clock()
        key_a, key_b = await api.key(A, "write"), await api.key(B, "write")
        await api.store.accounts.attach(A, "111122223333", now)
        listed = await api.call("GET", "/v1/accounts", key_b)
        assert listed.status == 200 and listed.body["accounts"] == []
        for method, path, body in [
            ("GET", "/v1/accounts/111122223333/health", None),
            ("DELETE", "/v1/accounts/111122223333", None),
            ("PATCH", "/v1/accounts/111122223333/baselines/ec2/instance", {"sensitivity": "low"}),
        ]:
            answer = await api.call(method, path, key_b, json=body)
            assert answer.status == 404, (method, path)
        account = await api.store.accounts.get(A, "111122223333")
        assert account is not None and account.status == "active"
        mine = await api.call("GET", "/v1/accounts", key_a)
        assert [a["accountId"] for a in mine.body["accounts"]] == ["111122223333"]


async def test_redis_down_is_a_503_with_retry_after_never_a_500() -> None:
    async with served_api() as api:
        key = await api.key(A)
        down = aioredis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=1)
        api.services.auth = Authenticator(api.store, RateLimit(down, "t:down:", 10), api.clock)
        answer = await api.call("GET", "/v1/accounts", key)
        assert answer.status == 503 and answer.headers["Retry-After"] == "1"
        await down.aclose()


async def test_a_burst_past_the_redis_pool_size_queues_instead_of_failing() -> None:
    async with served_api() as api:
        key = await api.key(A)
        small = aioredis.from_url("redis://127.0.0.1:6379/0", max_connections=4)
        limit = RateLimit(small, unique_prefix("burst"), 1000, concurrency=4)
        api.services.auth = Authenticator(api.store, limit, api.clock)
        answers = await asyncio.gather(*(api.call("GET", "/v1/accounts", key) for _ in range(40)))
        assert [a.status for a in answers] == [200] * 40
        keys = [k async for k in small.scan_iter(match=f"{limit.prefix}*")]
        await small.delete(*keys)
        await small.aclose()


async def test_unknown_paths_and_methods_are_problems_too() -> None:
    async with served_api() as api:
        for method, path, status in [
            ("GET", "/v1/nothing", 404),
            ("GET", "/v1/accounts/111122223333/baselines", 404),
            ("PUT", "/v1/anomalies", 405),
            ("POST", "/v1/accounts/111122223333/health", 405),
        ]:
            answer = await api.client.request(method, path)
            assert answer.status == status, (method, path)
            assert answer.headers["Content-Type"].startswith("application/problem+json")
        put = await api.client.request("PUT", "/v1/anomalies")
        assert put.headers["Allow"] == "GET"
