"""`POST /v1/billing/checkout`: a Stripe Checkout session for Pro, tied to the workspace."""

from __future__ import annotations

from aiohttp import web

from api._io import json_response
from api.errors import ApiError, Unavailable
from api.models import CheckoutOut
from api.services import ApiServices
from billing import BillingDisabledError, StripeUnavailableError
from billing import messages as billing_messages
from storage.apikeys import ApiKey


class BadGateway(ApiError):
    """502: Stripe refused or did not answer."""

    status = 502
    title = "Bad Gateway"


async def checkout(services: ApiServices, key: ApiKey, request: web.Request) -> web.Response:
    """POST /v1/billing/checkout."""
    if services.billing is None or not services.billing.enabled:
        raise Unavailable(billing_messages.DISABLED, code="billing_disabled")
    try:
        result = await services.billing.checkout(key.tenant_id, f"API key {key.shown_prefix}")
    except BillingDisabledError:
        raise Unavailable(billing_messages.DISABLED, code="billing_disabled") from None
    except StripeUnavailableError as exc:
        raise BadGateway(str(exc), code="stripe") from None
    body = CheckoutOut(url=result.url, session_id=result.session_id, quantity=result.quantity)
    return json_response(body, status=201)
