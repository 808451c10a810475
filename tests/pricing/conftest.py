"""Fixtures for the pricing tests: the shared price-data source folder and the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from pricing import Catalogue, load_catalogue
from pricing.build import SOURCE_ENV, default_source_dir


@pytest.fixture(scope="session")
def source_dir() -> Path:
    """The price-data source folder; a missing folder fails the test (it never skips)."""
    path = default_source_dir()
    if not path.is_dir():
        pytest.fail(
            f"price-data source folder {path} not found: set {SOURCE_ENV} to the "
            "shared/data/pricing folder (see shared/data/pricing/SOURCES.md)"
        )
    return path


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The committed catalogue, as the product loads it."""
    return load_catalogue()
