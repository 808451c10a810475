"""A pasted role whose check does not answer within the budget gets the modal's timeout error.

Slack gives a view submission 3 s; the role check has `validate_timeout` of it (2.5 s in
production). The other onboarding tests raise the budget because moto is slower than AWS.
"""

from __future__ import annotations

import asyncio

from bot.blocks.connect import ROLE_BLOCK
from bot.onboarding import VALIDATE_TIMEOUT, Onboarding
from bot.services import SlackServices
from onboarding.connect import CallbackTokens
from onboarding.validation import Validation
from pricing import load_catalogue
from tests.bot.test_slack_app import KEY
from tests.stores import NOW, fresh_store

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dd0c-cost-readonly"


async def test_a_role_check_past_its_budget_answers_in_time_and_connects_nothing() -> None:
    store = await fresh_store()
    await store.tenants.ensure("T1", NOW, "acme")
    never = asyncio.Event()

    async def silent(account_id: str, role_arn: str, external_id: str) -> Validation:
        await never.wait()  # AWS never answers
        raise AssertionError("unreachable")

    services = SlackServices(store)
    onboarding = Onboarding(
        services, load_catalogue(), silent, CallbackTokens([KEY]), "http://127.0.0.1:9",
        validate_timeout=0.01,
    )  # fmt: skip
    errors = await onboarding.submit("T1", "U1", ACCOUNT, ROLE)
    assert errors == {ROLE_BLOCK: "AWS did not answer in time. Try again in a minute."}
    assert await store.accounts.get("T1", ACCOUNT) is None
    await store.close()


def test_the_production_budget_leaves_room_inside_slacks_three_seconds() -> None:
    assert Onboarding.validate_timeout == VALIDATE_TIMEOUT
    assert 0 < VALIDATE_TIMEOUT <= 2.5
