"""Storage errors.

StorageError                 base of everything storage raises
├── StoreConfigError         no usable MongoDB or DD0C_TOKEN_KEY configuration (names the variable)
├── StoreUnavailableError    MongoDB did not answer (transient: retry later); every public
│                            coroutine of a collection class raises it for the driver's
│                            ConnectionFailure (`translate_driver_errors`), so nothing outside
│                            storage/ handles pymongo's errors
├── ForeignEventError        an eventID already stored under another tenant (never mixed)
└── TokenDecryptError        a stored Slack token fits no key in DD0C_TOKEN_KEY (never shows it)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from pymongo.errors import ConnectionFailure

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)


class StorageError(Exception):
    """Base of storage errors."""


class StoreConfigError(StorageError):
    """The store cannot be built from the configuration given."""


class StoreUnavailableError(StorageError):
    """MongoDB is unreachable or timed out."""


class ForeignEventError(StorageError):
    """The event id is stored for another tenant; the event is refused, not merged."""


class TokenDecryptError(StorageError):
    """A stored ciphertext could not be decrypted with any configured key."""


def _translated(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except ConnectionFailure as exc:
            raise StoreUnavailableError(f"MongoDB unreachable: {type(exc).__name__}") from exc

    call.translates_driver_errors = True  # type: ignore[attr-defined]
    return call


def translate_driver_errors(cls: C) -> C:
    """Class decorator for a collection class: the storage boundary for driver errors.

    A `pymongo.errors.ConnectionFailure` (server selection timeout, network error, reconnect)
    raised inside any public coroutine method defined on the class becomes
    StoreUnavailableError; every other error passes unchanged.
    """
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(cls, name, _translated(member))
    return cls
