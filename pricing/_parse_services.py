"""Prices of the smaller services, one parser each; rows outside the region map are skipped."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pricing._parse_common import (
    Table,
    attribute_of,
    location_of,
    parse_price,
    store,
    store_in,
)
from pricing._sources import MeteredUnitMap, Processed
from pricing.errors import SourceFormatError

# region code -> price
ByRegion = dict[str, float]

_APW = "aws-price-watcher/processed/"

LAMBDA_LABELS: dict[tuple[str, str], str] = {
    ("x86_64", "duration"): "Lambda Duration",
    ("arm64", "duration"): "Lambda Duration-ARM",
    ("x86_64", "requests"): "Lambda Requests",
    ("arm64", "requests"): "Lambda Requests-ARM",
    ("x86_64", "provisioned"): "Lambda Provisioned-Concurrency",
    ("arm64", "provisioned"): "Lambda Provisioned-Concurrency-ARM",
    ("x86_64", "duration-provisioned"): "Lambda Duration-Provisioned",
    ("arm64", "duration-provisioned"): "Lambda Duration-Provisioned-ARM",
}
EBS_LABELS = {
    "gp2": "Storage General Purpose gp2 GB Mo",
    "gp3": "Storage General Purpose gp3 GB Mo",
    "io1": "Storage Provisioned IOPS io1 GB Mo",
    "io2": "Storage Provisioned IOPS io2 GB month",
    "st1": "Storage Throughput Optimized HDD st1 GB Mo",
    "sc1": "Storage Cold HDD sc1 GB Mo",
    "standard": "Storage Magnetic standard GB Mo",
}
# Two labels carry the standard cluster-hour; the second covers only half the regions.
EKS_LABELS = {
    "standard": ("Compute per Hours", "Compute per hours"),
    "extended-support": ("Compute ExtendedSupport per Hours",),
}
ELB_LABELS = {
    "application": "Application Load Balancer Hours",
    "network": "Network Load Balancer Hours",
    "gateway": "Gateway Load Balancer Hours",
    "classic": "Classic Load Balancer Hours",
}
VPC_LABELS = {
    "public-ipv4-in-use": "Hourly charge for In use Public IPv4 Addresses per Hrs",
    "public-ipv4-idle": "Hourly charge for Idle Public IPv4 Addresses per Hrs",
    "traffic-mirroring": "Hourly charge for Traffic Mirroring Source per hour",
}
_CACHE_SET = re.compile(
    r"^\[OnDemand Cache Instance .* (Redis|Valkey|Memcached)( datatiering)? "
    r"(Current|Previous) Generation\]"
)
_SEARCH_LABEL = re.compile(r"^(\S+) (\S+\.search) - .* - OnDemand - .* Hourly Cost$")
_REDSHIFT_SET = "OnDemand Compute Instance Current Generation"
_SAGEMAKER_MARK = " (Instance: "


def _label(processed: Processed, label: str, where: str) -> dict[str, str]:
    rows = processed.get(label)
    if rows is None:
        raise SourceFormatError(f"{where}: label {label!r} is missing")
    return rows


def _by_region(rows: Mapping[str, str], names: Mapping[str, str], where: str) -> ByRegion:
    result: ByRegion = {}
    for location, text in rows.items():
        code = names.get(location)
        price = parse_price(text, where)
        if code is not None and price is not None:
            store(result, code, price, where)
    return result


def _labelled(
    processed: Processed, labels: Mapping[str, str], names: Mapping[str, str], where: str
) -> dict[str, ByRegion]:
    return {
        key: _by_region(_label(processed, label, where), names, where)
        for key, label in labels.items()
    }


def lambda_prices(processed: Processed, names: Mapping[str, str]) -> dict[str, dict[str, ByRegion]]:
    """Lambda rates: architecture -> kind -> region -> USD per GB-second or per request."""
    where = _APW + "lambda.json"
    result: dict[str, dict[str, ByRegion]] = {}
    for (arch, kind), label in LAMBDA_LABELS.items():
        rows = _label(processed, label, where)
        result.setdefault(arch, {})[kind] = _by_region(rows, names, where)
    return result


def ebs_prices(doc: MeteredUnitMap, names: Mapping[str, str]) -> dict[str, ByRegion]:
    """EBS storage: volume type -> region -> USD per GB-month."""
    where = "ec2.shop/data/ebs/ebs.json"
    result: dict[str, ByRegion] = {volume: {} for volume in EBS_LABELS}
    for location, rows in doc.regions.items():
        code = names.get(location)
        if code is None:
            continue
        for volume, label in EBS_LABELS.items():
            row = rows.get(label)
            price = None if row is None else parse_price(row["price"], where)
            if price is not None:
                store(result[volume], code, price, where)
    return result


def eks_prices(processed: Processed, names: Mapping[str, str]) -> dict[str, ByRegion]:
    """EKS: "standard" cluster-hour and the "extended-support" surcharge, by region."""
    where = _APW + "eks.json"
    result: dict[str, ByRegion] = {}
    for key, labels in EKS_LABELS.items():
        merged: ByRegion = {}
        for label in labels:
            for code, price in _by_region(_label(processed, label, where), names, where).items():
                store(merged, code, price, where)
        result[key] = merged
    return result


def elb_prices(processed: Processed, names: Mapping[str, str]) -> dict[str, ByRegion]:
    """Load balancer hours: kind -> region -> USD per hour (LCU charges not included)."""
    return _labelled(processed, ELB_LABELS, names, _APW + "elb.json")


RDS_STORAGE_LABELS = {
    f"{key}:{kind}": f"{prefix}{label}"
    for key, deployment in (("single", "Single AZ"), ("multi", "Multi AZ"))
    for kind, prefix, label in (
        ("gp2", "Database Storage ", f"{deployment} General Purpose"),
        ("gp3", "Database Storage ", f"{deployment} General Purpose-GP3"),
        ("io1", "Database Storage ", f"{deployment} Provisioned IOPS"),
        ("io2", "Database Storage ", f"{deployment} Provisioned IOPS-IO2"),
        ("standard", "Database Storage ", f"{deployment} Magnetic"),
        ("iops-io1", "Provisioned IOPS ", deployment),
        ("iops-gp3", "Provisioned GP3 IOPS ", deployment),
    )
} | {
    "cluster:io1": "Database Storage Multi AZ readable standbys Provisioned IOPS",
    "cluster:iops-io1": "Provisioned IOPS Multi AZ readable standbys",
}


def rds_storage_prices(processed: Processed, names: Mapping[str, str]) -> dict[str, ByRegion]:
    """RDS allocated storage per GB-month and provisioned IOPS per IOPS-month, by region."""
    return _labelled(processed, RDS_STORAGE_LABELS, names, _APW + "rds-storage.json")


def vpc_prices(processed: Processed, names: Mapping[str, str]) -> dict[str, ByRegion]:
    """Public IPv4 address hours (in use and idle) and Traffic Mirroring sessions, by region."""
    return _labelled(processed, VPC_LABELS, names, _APW + "vpc.json")


def elasticache_prices(processed: Processed, names: Mapping[str, str]) -> dict[str, Table]:
    """ElastiCache node-hours: engine -> region -> node type -> USD per hour."""
    where = _APW + "elasticache.json"
    result: dict[str, Table] = {}
    for label, rows in processed.items():
        match = _CACHE_SET.match(label)
        if match is None:
            continue
        table = result.setdefault(match.group(1).lower(), {})
        for key, text in rows.items():
            code = names.get(location_of(key, " (Instance Type: "))
            node_type = attribute_of(key, "Instance Type")
            price = parse_price(text, where)
            if code is not None and node_type is not None and price is not None:
                store_in(table, code, node_type, price, where)
    return result


def opensearch_prices(processed: Processed, names: Mapping[str, str]) -> Table:
    """OpenSearch instance-hours: region -> "<family>.<size>.search" -> USD per hour."""
    where = _APW + "es.json"
    result: Table = {}
    for label, rows in processed.items():
        match = _SEARCH_LABEL.match(label)
        if match is None:
            continue
        instance_type = f"{match.group(1)}.{match.group(2)}"
        for key, text in rows.items():
            code = names.get(location_of(key, " (vCPU: "))
            price = parse_price(text, where)
            if code is not None and price is not None:
                store_in(result, code, instance_type, price, where)
    return result


def redshift_prices(doc: MeteredUnitMap, names: Mapping[str, str]) -> Table:
    """Redshift node-hours from the raw file's on-demand set: region -> node type -> USD."""
    where = "aws-price-watcher/raw/redshift.json"
    on_demand = set(doc.sets.get(_REDSHIFT_SET, ()))
    if not on_demand:
        raise SourceFormatError(f"{where}: set {_REDSHIFT_SET!r} is missing")
    result: Table = {}
    for location, rows in doc.regions.items():
        code = names.get(location)
        for label, row in rows.items():
            if code is None or label not in on_demand:
                continue
            price = parse_price(row["price"], where)
            if price is not None:
                store_in(result, code, row["Instance Type"], price, where)
    return result


def sagemaker_prices(processed: Processed, names: Mapping[str, str]) -> Table:
    """SageMaker Studio-notebook instance-hours: region -> ml.* type -> USD per hour."""
    where = _APW + "sagemaker-instances-studionotebook.json"
    result: Table = {}
    for rows in processed.values():
        for key, text in rows.items():
            code = names.get(location_of(key, _SAGEMAKER_MARK))
            instance_type = attribute_of(key, "Instance")
            price = parse_price(text, where)
            if code is not None and instance_type is not None and price is not None:
                store_in(result, code, instance_type, price, where)
    return result
