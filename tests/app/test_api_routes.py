"""The API and the Stripe webhook are mounted on the service's one aiohttp app."""

from __future__ import annotations

from app.services import SERVICES
from tests.app.test_routes import DEV, served
from tests.redisdb import unique_prefix
from tests.stores import NOW


async def test_v1_answers_on_the_service_with_a_key_of_its_store() -> None:
    prefix = unique_prefix("wiring")
    async with served({**DEV, "DD0C_REDIS_PREFIX": prefix}) as client:
        services = client.app[SERVICES]
        await services.store.tenants.ensure("T_WIRED", NOW)
        made = await services.store.api_keys.create("T_WIRED", "ci", "read", "U1", NOW)
        assert made is not None
        headers = {"Authorization": f"Bearer {made.secret}"}
        answer = await client.get("/v1/accounts", headers=headers)
        assert answer.status == 200
        assert await answer.json() == {"accounts": [], "plan": "free"}
        assert (await client.get("/v1/accounts")).status == 401
        assert (await client.get("/v1/openapi.json")).status == 200
        checkout = await client.post("/v1/billing/checkout", headers=headers)
        assert checkout.status == 403  # a read key; and billing is off here anyway
        webhook = await client.post("/billing/stripe/webhook", data=b"{}")
        assert webhook.status == 404
        keys = [k async for k in services.redis.scan_iter(f"{prefix}*")]
        if keys:
            await services.redis.delete(*keys)
