"""Models of the source files in `pricing/sources/` (see its SOURCES.md), and their bundle.

Only the generator uses these. Each model checks just the shape the parsers rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, TypeAdapter

# aws-price-watcher `processed/*.json`: metric label -> location key -> price string
Processed = dict[str, dict[str, str]]
PROCESSED = TypeAdapter(Processed)


class MeteredUnitMap(BaseModel):
    """The JSON behind an AWS pricing page: rows keyed by label under each region display name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    manifest: dict[str, str]
    regions: dict[str, dict[str, dict[str, str]]]
    sets: dict[str, list[str]] = {}

    def published(self) -> str:
        """The manifest's publication date (YYYY-MM-DD), or "" when it has none."""
        return self.manifest.get("hawkFilePublicationDate", "")[:10]


class InstancesInfoEntry(BaseModel):
    """One entry of ec2-instances-info's elasticache/opensearch lists; only its region names."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    regions: dict[str, str] = {}


INSTANCES_INFO = TypeAdapter(list[InstancesInfoEntry])


@dataclass(frozen=True, slots=True)
class Sources:
    """Every source file the generator reads, already parsed and shape-checked."""

    # ec2.shop `data/ec2/<file name>` -> its metered unit map (one region per file)
    shop_ec2: dict[str, MeteredUnitMap]
    shop_ebs: MeteredUnitMap
    apw_ec2: Processed
    # engine file stem ("mysql", "aurora", ...) -> processed rds-<stem>-ondemand.json
    apw_rds: dict[str, Processed]
    apw_lambda: Processed
    apw_eks: Processed
    apw_elb: Processed
    apw_vpc: Processed
    apw_rds_storage: Processed
    apw_elasticache: Processed
    apw_opensearch: Processed
    apw_sagemaker: Processed
    raw_redshift: MeteredUnitMap
    karpenter_csv: str
    windows_txt: str
    # code -> display name maps found in ec2-instances-info (newer "Europe (...)" spellings)
    region_aliases: tuple[dict[str, str], ...]
