"""Fixtures for storage tests: a contract suite over every store in `store_kinds()`.

By default the in-process store; with `DD0C_TEST_MONGODB_URI=mongodb://…` also a real MongoDB
(each test in a database of its own, dropped afterwards):

    DD0C_TEST_MONGODB_URI=mongodb://127.0.0.1:27017 .venv/bin/pytest tests/storage
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import Store, TokenCipher
from tests.stores import contract_store, store_kinds

# Test-only keys: a Fernet key and a passphrase (never used outside tests).
KEY_A = "dJ0v5m3yq3N0X2eYt7mJ7m0tq6p2KkYx8S1c4VQbq0g="
KEY_B = "a long random passphrase for tests only 0123456789"


@pytest.fixture(params=store_kinds())
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on ('in-process' or 'mongodb')."""
    return str(request.param)


@pytest.fixture
async def store(store_kind: str) -> AsyncIterator[Store]:
    """A fresh, migrated store."""
    async with contract_store(store_kind) as store:
        yield store


@pytest.fixture
def cipher() -> TokenCipher:
    """A token cipher with one key."""
    return TokenCipher([KEY_A])


@pytest.fixture
async def secure_store(store_kind: str, cipher: TokenCipher) -> AsyncIterator[Store]:
    """A fresh, migrated store that can save Slack tokens."""
    async with contract_store(store_kind, cipher) as store:
        yield store
