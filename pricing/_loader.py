"""Reads the generated catalogue from the package's data files: the only run-time file I/O here."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import orjson

from pricing._schema import DATA_FILES
from pricing.catalogue import Catalogue
from pricing.errors import CatalogueDataError


def _read(name: str) -> Any:
    resource = resources.files("pricing") / "data" / f"{name}.json"
    try:
        return orjson.loads(resource.read_bytes())
    except FileNotFoundError as exc:
        message = f"pricing/data/{name}.json is missing: run `python -m pricing.build`"
        raise CatalogueDataError(message) from exc
    except orjson.JSONDecodeError as exc:
        raise CatalogueDataError(f"pricing/data/{name}.json is not valid JSON: {exc}") from exc


@functools.cache
def load_catalogue() -> Catalogue:
    """The catalogue from `pricing/data/*.json`, read and validated once per process."""
    return Catalogue({name: _read(name) for name in DATA_FILES})
