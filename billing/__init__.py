"""Paying for Pro with Stripe (seed 9.1, 9.2): Checkout, the signed webhook, the plan it sets,
and the subscription quantity that follows the connected accounts."""

from billing.errors import BillingDisabledError, BillingError, StripeUnavailableError
from billing.service import Announce, Billing, BillingConfig, CheckoutResult
from billing.webhook import WEBHOOK_PATH, webhook_routes

__all__ = [
    "WEBHOOK_PATH",
    "Announce",
    "Billing",
    "BillingConfig",
    "BillingDisabledError",
    "BillingError",
    "CheckoutResult",
    "StripeUnavailableError",
    "webhook_routes",
]
