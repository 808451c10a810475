"""Errors raised by the pricing package.

```
PricingError                 base of everything below
├── SourceMissingError       the price-data source directory or one of its files is absent
├── SourceFormatError        a source file does not have the shape SOURCES.md describes
└── CatalogueDataError       the generated pricing/data/*.json does not match its schema
```

Lookups never raise for an unknown price: they return a `Quote` whose `usd` is None.
"""

from __future__ import annotations


class PricingError(Exception):
    """Base of every error the pricing package raises."""


class SourceMissingError(PricingError):
    """The source directory, or a file the generator needs, does not exist."""


class SourceFormatError(PricingError):
    """A source file is not shaped as SOURCES.md describes."""


class CatalogueDataError(PricingError):
    """The generated catalogue data does not validate against its schema."""
