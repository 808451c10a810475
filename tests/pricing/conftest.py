"""Fixtures for the pricing tests: the price-data sources (vendored archive) and the catalogue."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from pricing import Catalogue, load_catalogue
from pricing.build import SOURCE_ENV, default_source_dir


@pytest.fixture(scope="session")
def source() -> Path:
    """The price-data sources (a folder or .tar.xz); a missing one fails the test (never skips)."""
    path = default_source_dir()
    if not path.exists():
        pytest.fail(
            f"price-data sources {path} not found: pricing/sources/aws-pricing.tar.xz is part of "
            f"the repository; {SOURCE_ENV} may point elsewhere (see pricing/sources/SOURCES.md)"
        )
    return path


@pytest.fixture(scope="session")
def source_dir(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sources as a folder (the vendored archive unpacked), for tests that read files."""
    if source.is_dir():
        return source
    folder = tmp_path_factory.mktemp("price-sources")
    with tarfile.open(source, "r:xz") as archive:
        archive.extractall(folder, filter="data")
    return folder


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The committed catalogue, as the product loads it."""
    return load_catalogue()
