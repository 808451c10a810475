"""What the API's handlers need, built once by app/wiring.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from api.auth import Authenticator
from billing import Billing
from onboarding.connect import SetupLink
from onboarding.validation import Validation
from storage import Store

# (account id, role ARN, ExternalId) → the role's validation (onboarding.validation.validator).
Validate = Callable[[str, str, str], Awaitable[Validation]]
# (tenant, now) → the workspace's quick-create link (onboarding.connect.setup_link, bound).
Setup = Callable[[str, datetime], Awaitable[SetupLink]]


@dataclass
class ApiServices:
    """The store, the key check, the clock, and the optional edges (billing, onboarding)."""

    store: Store
    auth: Authenticator
    clock: Callable[[], datetime]
    billing: Billing | None = None
    validate: Validate | None = None
    setup: Setup | None = None
    free_limit: int = 1
    validate_timeout: float = 20.0
