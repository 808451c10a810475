"""Storage errors.

StorageError                 base of everything storage raises
├── StoreConfigError         no usable MongoDB or DD0C_TOKEN_KEY configuration (names the variable)
├── StoreUnavailableError    MongoDB did not answer (transient: retry later)
├── ForeignEventError        an eventID already stored under another tenant (never mixed)
└── TokenDecryptError        a stored Slack token fits no key in DD0C_TOKEN_KEY (never shows it)
"""

from __future__ import annotations


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
