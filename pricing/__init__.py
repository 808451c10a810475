"""dd0c/cost's price catalogue: AWS on-demand list prices, looked up in O(1), never guessed.

The catalogue is generated from public AWS price data by `python -m pricing.build` into
`pricing/data/*.json` and read once at run time by `load_catalogue()`. Lookups return a `Quote`:
a USD price per unit, or `usd=None` with the reason the price is unknown.

    >>> from pricing import load_catalogue
    >>> load_catalogue().ec2("m6i.large", "us-east-1").usd
    0.096
"""

from __future__ import annotations

from pricing._loader import load_catalogue
from pricing.catalogue import Catalogue, Quote
from pricing.errors import PricingError
from pricing.rates import bedrock_model_unit, fargate_task
from pricing.regions import all_region_codes, display_name, region_code

__all__ = [
    "Catalogue",
    "PricingError",
    "Quote",
    "all_region_codes",
    "bedrock_model_unit",
    "display_name",
    "fargate_task",
    "load_catalogue",
    "region_code",
]
