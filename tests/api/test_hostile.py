"""Hostile input to /v1: every answer is a 4xx problem (never a 5xx), and nothing changes."""

from __future__ import annotations

from tests.api.harness import served_api
from tests.stores import NOW

T = "T_HOSTILE"
ACCOUNT = "111122223333"


async def test_hostile_requests_are_4xx_problems_and_change_nothing() -> None:
    async with served_api() as api:
        key = await api.key(T, "write")
        await api.store.accounts.attach(T, ACCOUNT, NOW)
        cases: list[tuple[str, str, dict[str, str], bytes | None]] = [
            ("GET", "/v1/accounts/%F0%9F%92%A9/health", {}, None),
            ("GET", "/v1/accounts/" + "1" * 5000 + "/health", {}, None),
            ("DELETE", "/v1/accounts/11112222333%00", {}, None),
            ("GET", "/v1/anomalies?cursor=" + "A" * 5000, {}, None),
            ("GET", "/v1/anomalies?limit=-1", {}, None),
            ("GET", "/v1/anomalies?since=9999-99-99", {}, None),
            ("GET", "/v1/anomalies?since=2026-01-01T00:00:00%2B99:00", {}, None),
            ("GET", "/v1/anomalies?account=%27%20OR%201=1", {}, None),
            ("GET", "/v1/anomalies?status[$ne]=open", {}, None),
            (
                "PATCH",
                f"/v1/accounts/{ACCOUNT}/baselines/ec2/instance",
                {},
                b'{"sensitivity": {"$ne": 1}}',
            ),
            ("PATCH", f"/v1/accounts/{ACCOUNT}/baselines/$where/x", {}, b'{"sensitivity": "low"}'),
            ("POST", "/v1/accounts", {}, b'{"accountId": ["123456789012"], "roleArn": null}'),
            ("POST", "/v1/accounts", {}, b"\xff\xfe\x00"),
            ("POST", "/v1/accounts", {}, b"9" * 5000),
        ]
        for method, path, headers, body in cases:
            sent = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers}
            answer = await api.client.request(method, path, data=body, headers=sent)
            assert 400 <= answer.status < 500, (method, path[:60], answer.status)
            assert answer.headers["Content-Type"].startswith("application/problem+json"), path[:60]
        for header in ("Bearer dd0c_live_" + "é" * 10, "Bearer " + "dd0c_live_" * 30, "Bearer\t"):
            answer = await api.client.get("/v1/accounts", headers={"Authorization": header})
            assert answer.status == 401
        account = await api.store.accounts.get(T, ACCOUNT)
        assert account is not None and account.status == "active"
        assert await api.store.audit.recent(T, kind="baseline.sensitivity") == []
