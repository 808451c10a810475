"""AWS plumbing for calls made with a customer's assumed role: clients, bounded listings, retries.

Every call of the zombie scan goes through here, so its limits live in one place:

- botocore's `adaptive` retry mode retries throttling (`Throttling`, `RequestLimitExceeded`,
  `TooManyRequestsException`, ...) and transient errors with capped exponential backoff and a
  client-side rate limiter;
- when throttling outlasts those attempts, `with_backoff` tries the whole listing a few more
  times after a jittered, capped sleep, then gives up (the caller records a failure);
- `collect` pages with the SDK's paginators and stops at `max_items`, saying whether it did.

AWS errors are turned into short, readable reasons (`describe_error`) instead of escaping.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aiobotocore.config import AioConfig
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

if TYPE_CHECKING:
    import aioboto3

logger = logging.getLogger(__name__)

T = TypeVar("T")
HOME_REGION = "us-east-1"  # where STS and account-wide calls go: every account has it enabled

# Error codes AWS services use for "slow down" (botocore's adaptive mode knows these too).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)
# Errors that will fail every call in the region: no point trying its other listings.
_REGION_WIDE_CODES = frozenset(
    {
        "AuthFailure",
        "OptInRequired",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
_REASON_MAX = 300
_NEXT_TOKENS = ("NextToken", "NextMarker")

# A session, or a coroutine that makes one (the caller assumes the customer's role).
SessionFactory = Callable[[], "aioboto3.Session | Awaitable[aioboto3.Session]"]
# One endpoint for every region, one per region (others use botocore's own), or None.
Endpoints = str | Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry: botocore's attempts per call, then whole-listing tries on throttling."""

    max_attempts: int = 5
    backoff_tries: int = 2
    base_delay: float = 1.0
    max_delay: float = 8.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    def config(self) -> AioConfig:
        """The botocore client config: adaptive retries and bounded timeouts."""
        return AioConfig(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
        )

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try `attempt + 1`: full jitter, capped at `max_delay`."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True, slots=True)
class Listing:
    """The items a bounded listing returned, and whether more were left unread."""

    items: list[dict[str, Any]]
    truncated: bool


async def open_session(factory: SessionFactory) -> aioboto3.Session:
    """The session the factory gives, whether it returns one or a coroutine of one."""
    made = factory()
    if inspect.isawaitable(made):
        return await made
    return made


def endpoint_for(endpoints: Endpoints, region: str) -> str | None:
    """The endpoint URL for `region`; None lets botocore decide (it honours AWS_ENDPOINT_URL)."""
    if endpoints is None or isinstance(endpoints, str):
        return endpoints
    return endpoints.get(region)


def client(
    session: aioboto3.Session,
    service: str,
    region: str,
    endpoints: Endpoints,
    policy: RetryPolicy,
) -> Any:
    """An async client context for `service` in `region` (use with `async with`)."""
    return session.client(
        service,  # type: ignore[call-overload]  # the service name is a runtime value
        region_name=region,
        endpoint_url=endpoint_for(endpoints, region),
        config=policy.config(),
    )


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError ("AccessDenied"), else None."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def is_throttling(exc: BaseException) -> bool:
    """Whether AWS asked us to slow down."""
    return error_code(exc) in THROTTLING_CODES


def is_region_wide(exc: BaseException) -> bool:
    """Whether the error will fail every call in the region (unreachable, not opted in, ...)."""
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | NoCredentialsError):
        return True
    return error_code(exc) in _REGION_WIDE_CODES


def describe_error(exc: BaseException) -> str:
    """A short, readable reason for a failed call (no credentials, no request ids)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "")
        text = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
        reason = f"{operation} failed with {text}" if operation else text
    elif isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        reason = f"could not reach the AWS endpoint ({exc})"
    elif isinstance(exc, ReadTimeoutError):
        reason = f"AWS did not answer in time ({exc})"
    elif isinstance(exc, NoCredentialsError):
        reason = "no credentials for the assumed role"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return reason if len(reason) <= _REASON_MAX else reason[: _REASON_MAX - 1] + "…"


async def with_backoff(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str = "call",
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`call()`, tried again up to `policy.backoff_tries` times while AWS keeps throttling."""
    attempt = 0
    while True:
        try:
            return await call()
        except ClientError as exc:
            if not is_throttling(exc) or attempt >= policy.backoff_tries:
                raise
            delay = policy.delay(attempt)
            logger.warning(
                "throttled after botocore's retries; trying again",
                extra={"what": what, "attempt": attempt + 1, "delay_s": round(delay, 2)},
            )
            attempt += 1
            await sleep(delay)


def _has_next(page: Mapping[str, Any]) -> bool:
    return any(page.get(key) for key in _NEXT_TOKENS)


async def collect(
    aws: Any,
    operation: str,
    result_key: str,
    *,
    max_items: int,
    page_size: int | None = None,
    nested: str | None = None,
    **params: Any,
) -> Listing:
    """At most `max_items` items of a paginated listing, read with the SDK's paginator.

    Items are counted here rather than with the paginator's `MaxItems`, because an EC2
    reservation holds several instances (`nested="Instances"` counts those) and some servers
    ignore `MaxResults`.
    """
    config = {"PageSize": page_size} if page_size else {}
    pages = aws.get_paginator(operation).paginate(**params, PaginationConfig=config)
    items: list[dict[str, Any]] = []
    async with aclosing(pages.__aiter__()) as stream:
        async for page in stream:
            batch = page.get(result_key) or []
            if nested:
                batch = [item for group in batch for item in group.get(nested) or []]
            room = max_items - len(items)
            items.extend(batch[:room])
            if len(batch) > room or (len(items) >= max_items and _has_next(page)):
                return Listing(items, truncated=True)
    return Listing(items, truncated=False)


def bounded(items: list[dict[str, Any]], max_items: int) -> Listing:
    """An unpaginated answer cut to `max_items`."""
    return Listing(items[:max_items], truncated=len(items) > max_items)


__all__ = [
    "THROTTLING_CODES",
    "Endpoints",
    "Listing",
    "RetryPolicy",
    "SessionFactory",
    "bounded",
    "client",
    "collect",
    "describe_error",
    "endpoint_for",
    "error_code",
    "is_region_wide",
    "is_throttling",
    "open_session",
    "with_backoff",
]
