"""STRIPE_* and DD0C_API_RATE_LIMIT: all three Stripe values or none, one-line errors naming the
variable, secrets never echoed."""

from __future__ import annotations

import pytest

from settings import ConfigError, load_settings

DEV = {"DD0C_DEV": "1"}
STRIPE = {
    "STRIPE_API_KEY": "sk_test_abcdefghijklmnop",
    "STRIPE_WEBHOOK_SECRET": "whsec_abcdefghijklmnop",
    "STRIPE_PRICE_ID": "price_pro_19",
}


def test_without_stripe_values_billing_is_off() -> None:
    settings = load_settings(DEV)
    assert not settings.billing_enabled
    assert settings.api_rate_limit == 600


def test_all_three_turn_billing_on_and_stay_secret() -> None:
    settings = load_settings({**DEV, **STRIPE})
    assert settings.billing_enabled
    described = settings.describe()
    assert described["STRIPE_API_KEY"] == "set" and described["STRIPE_WEBHOOK_SECRET"] == "set"
    assert "abcdefghijklmnop" not in repr(settings)


@pytest.mark.parametrize("missing", sorted(STRIPE))
def test_one_missing_names_it(missing: str) -> None:
    env = {**DEV, **{k: v for k, v in STRIPE.items() if k != missing}}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.variable == missing
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STRIPE_API_KEY", "pk_live_publishable_not_secret"),
        ("STRIPE_WEBHOOK_SECRET", "secret_hunter2_hunter2"),
        ("STRIPE_PRICE_ID", "prod_123456"),
        ("DD0C_API_RATE_LIMIT", "0"),
        ("STRIPE_API_URL", "ftp://stripe"),
    ],
)
def test_a_wrong_value_names_the_variable_without_the_secret(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**DEV, **STRIPE, variable: value})
    assert caught.value.variable == variable
    if variable != "STRIPE_PRICE_ID" and variable.startswith("STRIPE_") and "URL" not in variable:
        assert value not in str(caught.value)
