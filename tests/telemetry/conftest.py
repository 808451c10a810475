"""Fixtures for telemetry tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import Store
from tests.stores import NOW, fresh_store
from tests.trails import ACCOUNT


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """A fresh store with the test account connected to tenant t1."""
    store = await fresh_store()
    await store.tenants.ensure("t1", NOW)
    await store.accounts.attach("t1", ACCOUNT, NOW)
    yield store
    await store.close()
