"""Where Slack says "upgrade": the connect modal of a free workspace with one account shows the
"Upgrade to Pro" button; a click makes a Checkout session on the fake Stripe server and shows its
link; connecting on Pro raises the subscription's quantity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from billing import Billing, BillingConfig
from billing.service import stripe_client
from bot.blocks.billing import OPEN_ACTION, UPGRADE_ACTION
from bot.onboarding import UPGRADE_HINT
from onboarding.lifecycle import ConnectResult
from onboarding.validation import Validation
from tests.bot.test_slack_app import eventually, install
from tests.onboarding.test_connect import ok_validation
from tests.scenarios.test_onboarding_slack import Setup, view_submission
from tests.scenarios.test_onboarding_slack import setup as setup  # noqa: F401  # the fixture
from tests.slack_signing import block_action, slash_command
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
async def stripe_on(setup: Setup) -> AsyncIterator[FakeStripe]:  # noqa: F811
    """Billing on the fake Stripe server, given to the Slack services as app/wiring does."""
    fake = FakeStripe()
    await fake.start()
    session = aiohttp.ClientSession()
    config = BillingConfig(
        fake.api_key, "whsec_x" * 4, "price_pro_19", "https://x/done", "https://x/done", fake.url
    )
    services = setup.world.services
    services.billing = Billing(
        services.store, config, lambda: datetime.now(UTC), None, stripe_client(config, session)
    )
    yield fake
    await session.close()
    await fake.close()


async def _connect_modal(s: Setup) -> dict[str, Any]:
    body = slash_command(
        "connect", team_id="T1", user_id="U1", channel_id="C1", response_url="https://x/r"
    )
    assert (await s.world.post(body)).status == 200
    await eventually(lambda: bool(s.world.slack.calls_to("views.open")))
    view: dict[str, Any] = s.world.slack.last("views.open").body["view"]
    return view


async def test_the_free_limit_modal_offers_upgrade_and_the_click_shows_the_checkout_link(
    setup: Setup,  # noqa: F811
    stripe_on: FakeStripe,
) -> None:
    await install(setup.world)
    await setup.world.store.accounts.attach("T1", "111122223333", datetime.now(UTC))
    view = await _connect_modal(setup)
    actions = [
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [OPEN_ACTION]
    click = block_action(
        OPEN_ACTION,
        "",
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        message_ts="",
        container="view",
    )
    assert (await setup.world.post(click)).status == 200
    await eventually(lambda: bool(setup.world.slack.calls_to("views.update")))
    updated = setup.world.slack.last("views.update").body["view"]
    buttons = [e for b in updated["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["url"].split("/")[2]) for b in buttons] == [
        (UPGRADE_ACTION, "checkout.stripe.test")
    ]
    (call,) = stripe_on.calls_to("POST", "/v1/checkout/sessions")
    assert call.form["client_reference_id"] == "T1"


async def test_a_refused_pasted_role_points_to_the_upgrade(setup: Setup) -> None:  # noqa: F811
    await install(setup.world)
    await setup.world.store.accounts.attach("T1", "111122223333", datetime.now(UTC))
    role = "arn:aws:iam::222233334444:role/dd0c-cost-readonly"

    async def validated(account_id: str, role_arn: str, external_id: str) -> Validation:
        return ok_validation(account_id, role_arn)  # the role is not what this test is about

    setup.onboarding.validate = validated
    answer = await setup.world.post(view_submission("T1", "U1", "222233334444", role))
    errors = (await answer.json())["errors"]
    assert any(UPGRADE_HINT in text for text in errors.values())


async def test_connecting_on_pro_raises_the_quantity(
    setup: Setup,  # noqa: F811
    stripe_on: FakeStripe,
) -> None:
    await install(setup.world)
    store = setup.world.store
    now = datetime.now(UTC)
    for account in ("111122223333", "222233334444"):
        await store.accounts.attach("T1", account, now)
    stripe_on.add_subscription("sub_9", quantity=1)
    assert await store.billing.apply_plan("T1", "pro", now, now, subscription_id="sub_9")
    result = ConnectResult("connected", "222233334444")
    await setup.onboarding.connected("T1", "222233334444", result)
    assert stripe_on.quantity("sub_9") == 2
    assert await setup.onboarding.disconnect("T1", "222233334444", "U1")
    assert stripe_on.quantity("sub_9") == 1
