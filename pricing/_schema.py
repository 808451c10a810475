"""The shape of the generated catalogue (`pricing/data/<file>.json`), one field per file.

The generator validates what it writes against this model and `Catalogue` validates what it is
given, so a hand-edited or truncated data file fails loudly instead of pricing things wrongly.
Every price is a positive, finite USD amount: a zero or missing price is simply absent.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Price = Annotated[float, Field(gt=0, allow_inf_nan=False)]
# region code -> price
ByRegion = dict[str, Price]
# region code -> instance type / class / volume type -> price
ByRegionType = dict[str, dict[str, Price]]

# The data files, in the order the generator writes them.
DATA_FILES: tuple[str, ...] = (
    "regions",
    "ec2",
    "rds",
    "rds-storage",
    "lambda",
    "ebs",
    "eks",
    "elb",
    "elasticache",
    "redshift",
    "opensearch",
    "sagemaker",
    "vpc",
    "sources",
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class RegionsData(_Model):
    """Region codes and AWS display names (`names` also holds older spellings)."""

    codes: dict[str, str]
    names: dict[str, str]


class Ec2Data(_Model):
    """EC2 on-demand prices by operating system, plus where each non-default price came from."""

    linux: ByRegionType
    windows: ByRegionType
    # source key -> region -> types whose price came from that source rather than the default
    origin: dict[str, dict[str, list[str]]]
    # older pricing-page prices that a newer source superseded, kept to explain the choice
    replaced: ByRegionType
    windows_not_offered: dict[str, list[str]] = Field(alias="windows-not-offered")


class CatalogueData(_Model):
    """Every generated data file, validated together."""

    regions: RegionsData
    ec2: Ec2Data
    # edition -> licence -> deployment -> region -> DB class -> price
    rds: dict[str, dict[str, dict[str, ByRegionType]]]
    # "<single|multi|cluster>:<gp2|gp3|io1|io2|standard>" per GB-month, ":iops-<type>" per
    # IOPS-month -> region -> price
    rds_storage: dict[str, ByRegion] = Field(alias="rds-storage")
    # architecture -> rate kind -> region -> price
    lambda_: dict[str, dict[str, ByRegion]] = Field(alias="lambda")
    ebs: dict[str, ByRegion]
    eks: dict[str, ByRegion]
    elb: dict[str, ByRegion]
    # engine -> region -> node type -> price
    elasticache: dict[str, ByRegionType]
    redshift: ByRegionType
    opensearch: ByRegionType
    sagemaker: ByRegionType
    vpc: dict[str, ByRegion]
    sources: dict[str, str]
