"""Fixtures for storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import Store
from tests.stores import fresh_store


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """A fresh, migrated in-process store."""
    store = await fresh_store()
    yield store
    await store.close()
