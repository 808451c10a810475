"""Fixtures for storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import Store, TokenCipher, memory_store
from tests.stores import NOW, fresh_store

# Test-only keys: a Fernet key and a passphrase (never used outside tests).
KEY_A = "dJ0v5m3yq3N0X2eYt7mJ7m0tq6p2KkYx8S1c4VQbq0g="
KEY_B = "a long random passphrase for tests only 0123456789"


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """A fresh, migrated in-process store."""
    store = await fresh_store()
    yield store
    await store.close()


@pytest.fixture
def cipher() -> TokenCipher:
    """A token cipher with one key."""
    return TokenCipher([KEY_A])


@pytest.fixture
async def secure_store(cipher: TokenCipher) -> AsyncIterator[Store]:
    """A fresh, migrated in-process store that can save Slack tokens."""
    store = memory_store(cipher)
    await store.start(NOW)
    yield store
    await store.close()
