"""Billing's errors.

BillingError
├── BillingDisabledError     STRIPE_* not configured: nothing can be paid here
└── StripeUnavailableError   Stripe refused or did not answer (chained to the SDK's error)
"""

from __future__ import annotations


class BillingError(Exception):
    """Base of billing's errors."""


class BillingDisabledError(BillingError):
    """Billing is off on this service (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_ID)."""


class StripeUnavailableError(BillingError):
    """Stripe refused the request or did not answer."""
