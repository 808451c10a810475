"""The price book backed by the project's catalogue (`pricing.load_catalogue`)."""

from __future__ import annotations

from pricing import Catalogue, load_catalogue


class CataloguePrices:
    """Adapts the pricing catalogue to the generator's PriceBook."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self._catalogue = catalogue or load_catalogue()

    def ec2(self, instance_type: str, region: str, os: str = "linux") -> float | None:
        """EC2 on-demand USD per hour."""
        return self._catalogue.ec2(instance_type, region, os=os).usd

    def rds(self, db_class: str, region: str, engine: str, multi_az: bool = False) -> float | None:
        """RDS on-demand USD per hour."""
        return self._catalogue.rds(db_class, region, engine, multi_az=multi_az).usd

    def redshift(self, node_type: str, region: str) -> float | None:
        """Redshift on-demand USD per node-hour."""
        return self._catalogue.redshift(node_type, region).usd

    def sagemaker(self, instance_type: str, region: str) -> float | None:
        """SageMaker on-demand USD per hour."""
        return self._catalogue.sagemaker(instance_type, region).usd

    def elasticache(self, node_type: str, region: str) -> float | None:
        """ElastiCache (Redis OSS) on-demand USD per node-hour."""
        return self._catalogue.elasticache(node_type, region).usd
