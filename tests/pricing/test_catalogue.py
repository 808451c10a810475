"""Catalogue lookups: known list prices, unknown answers with reasons, coverage, speed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pricing import Catalogue, Quote, load_catalogue
from pricing.errors import CatalogueDataError

Lookup = Callable[[Catalogue], Quote]

# (name, lookup, expected USD, unit) — list prices quoted in SOURCES.md or read off the sources.
KNOWN: list[tuple[str, Lookup, float, str]] = [
    ("m6i.large us-east-1", lambda c: c.ec2("m6i.large", "us-east-1"), 0.096, "hour"),
    (
        "p5.48xlarge after the June 2025 cut",
        lambda c: c.ec2("p5.48xlarge", "us-east-1"),
        55.04,
        "hour",
    ),
    ("karpenter-only m8i.large", lambda c: c.ec2("m8i.large", "us-east-1"), 0.10584, "hour"),
    ("karpenter-only p6-b200", lambda c: c.ec2("p6-b200.48xlarge", "us-east-1"), 113.9328, "hour"),
    ("metal keeps the pricing page", lambda c: c.ec2("c6g.metal", "us-east-1"), 2.176, "hour"),
    (
        "metal-24xl keeps the pricing page",
        lambda c: c.ec2("m7i.metal-24xl", "us-east-1"),
        4.8384,
        "hour",
    ),
    ("Windows t3.medium", lambda c: c.ec2("t3.medium", "us-east-1", "windows"), 0.06, "hour"),
    ("Taipei (hand-mapped region)", lambda c: c.ec2("m7i.large", "ap-east-2"), 0.11718, "hour"),
    ("postgres single-AZ", lambda c: c.rds("db.m5.large", "us-east-1", "postgres"), 0.178, "hour"),
    (
        "postgres multi-AZ",
        lambda c: c.rds("db.m5.large", "us-east-1", "postgres", multi_az=True),
        0.356,
        "hour",
    ),
    (
        "aurora-postgresql",
        lambda c: c.rds("db.r6g.large", "us-east-1", "aurora-postgresql"),
        0.26,
        "hour",
    ),
    (
        "aurora-postgresql I/O-Optimized",
        lambda c: c.rds("db.r6g.large", "us-east-1", "aurora-postgresql", io_optimized=True),
        0.338,
        "hour",
    ),
    (
        "Lambda provisioned ARM",
        lambda c: c.lambda_rate("provisioned", "us-east-1", "arm64"),
        0.0000033334,
        "gb-second",
    ),
    (
        "Lambda duration x86",
        lambda c: c.lambda_rate("duration", "us-east-1"),
        0.0000166667,
        "gb-second",
    ),
    ("Lambda requests", lambda c: c.lambda_rate("requests", "us-east-1"), 0.0000002, "request"),
    (
        "Lambda provisioned 1 GB x 10 for an hour",
        lambda c: c.lambda_provisioned_hourly("us-east-1", "arm64", 1024, 10),
        0.0000033334 * 10 * 3600,
        "hour",
    ),
    ("EBS gp3", lambda c: c.ebs("gp3", "us-east-1"), 0.08, "gb-month"),
    ("EKS cluster", lambda c: c.eks_cluster("us-east-1"), 0.10, "hour"),
    (
        "EKS extended support",
        lambda c: c.eks_cluster("us-east-1", extended_support=True),
        0.60,
        "hour",
    ),
    ("GWLB", lambda c: c.load_balancer("gateway", "us-east-1"), 0.0125, "hour"),
    ("ALB", lambda c: c.load_balancer("application", "us-east-1"), 0.0225, "hour"),
    (
        "ElastiCache valkey",
        lambda c: c.elasticache("cache.m6g.large", "us-east-1", "valkey"),
        0.1192,
        "hour",
    ),
    ("Redshift ra3.4xlarge", lambda c: c.redshift("ra3.4xlarge", "us-east-1"), 3.26, "hour"),
    (
        "OpenSearch r7g.16xlarge",
        lambda c: c.opensearch("r7g.16xlarge.search", "us-west-2"),
        5.689,
        "hour",
    ),
    ("public IPv4", lambda c: c.public_ipv4("us-east-1"), 0.005, "hour"),
    ("NAT gateway (published table)", lambda c: c.nat_gateway("us-east-1"), 0.045, "hour"),
]


@pytest.mark.parametrize(
    ("lookup", "usd", "unit"), [k[1:] for k in KNOWN], ids=[k[0] for k in KNOWN]
)
def test_known_list_prices(catalogue: Catalogue, lookup: Lookup, usd: float, unit: str) -> None:
    quote = lookup(catalogue)
    assert quote.usd == pytest.approx(usd, rel=0.01)
    assert quote.unit == unit
    assert quote.reason is None and quote.source


# (lookup, a fragment the reason must contain)
UNKNOWN: list[tuple[Lookup, str]] = [
    (
        lambda c: c.ec2("p9.huge", "us-east-1"),
        "no EC2 price for p9.huge in us-east-1: unknown instance type",
    ),
    (lambda c: c.ec2("p5.48xlarge", "af-south-1"), "not offered in af-south-1"),
    (lambda c: c.ec2("m5.large", "us-east-9"), "unknown region 'us-east-9'"),
    (lambda c: c.ec2("m5.large", "EU (Ireland)"), "its code is eu-west-1"),
    (lambda c: c.ec2("m5.large", "us-east-1", "beos"), "unknown operating system 'beos'"),
    (lambda c: c.ec2("m8i.large", "eu-west-1"), "us-east-1 only"),
    (lambda c: c.ec2("m6g.large", "us-east-1", "windows"), "not offered with Windows"),
    (lambda c: c.ec2("t3.medium", "eu-west-1", "windows"), "Windows prices for us-east-1 only"),
    (lambda c: c.rds("db.m5.large", "us-east-1", "neptune"), "unknown RDS engine 'neptune'"),
    (lambda c: c.rds("db.m5.large", "us-east-1", "custom-oracle-ee"), "RDS Custom"),
    (lambda c: c.rds("db.x9.huge", "us-east-1", "mysql"), "unknown DB class"),
    (lambda c: c.rds("db.m5.large", "us-east-9", "mysql"), "unknown region 'us-east-9'"),
    (
        lambda c: c.rds("db.m5.large", "us-east-1", "oracle-ee", license_model="license-included"),
        "only bring-your-own-license",
    ),
    (
        lambda c: c.rds("db.m6i.large", "us-east-1", "db2-se", license_model="marketplace-license"),
        "IBM's licence fee",
    ),
    (
        lambda c: c.rds("db.t3.small", "us-east-1", "sqlserver-ex", multi_az=True),
        "not offered Multi-AZ",
    ),
    (lambda c: c.rds("db.m5.large", "us-east-1", "mysql", io_optimized=True), "only to Aurora"),
    (lambda c: c.lambda_rate("storage", "us-east-1"), "unknown Lambda rate 'storage'"),
    (lambda c: c.lambda_rate("duration", "us-east-1", "sparc"), "unknown Lambda architecture"),
    (lambda c: c.lambda_provisioned_hourly("us-east-1", "x86_64", 0, 1), "invalid"),
    (lambda c: c.lambda_provisioned_hourly("us-east-9", "x86_64", 128, 1), "unknown region"),
    (lambda c: c.ebs("gp9", "us-east-1"), "unknown EBS volume type 'gp9'"),
    (lambda c: c.ebs("gp3", "ap-southeast-5"), "no EBS gp3 price for ap-southeast-5"),
    (lambda c: c.load_balancer("magic", "us-east-1"), "unknown load balancer kind"),
    (lambda c: c.elasticache("cache.m6g.large", "us-east-1", "etcd"), "unknown ElastiCache engine"),
    (
        lambda c: c.elasticache("cache.z9.huge", "us-east-1"),
        "cache.z9.huge in us-east-1: unknown node type",
    ),
    (
        lambda c: c.elasticache("cache.r6gd.xlarge", "us-east-1", "memcached"),
        "not offered with memcached",
    ),
    (
        lambda c: c.redshift("ds2.xlarge", "us-east-1"),
        "no Redshift price for ds2.xlarge in us-east-1: unknown node type",
    ),
    (lambda c: c.opensearch("m6g.large.search", "us-east-9"), "unknown region"),
    (lambda c: c.sagemaker("ml.p9.huge", "us-east-1"), "Studio-notebook rates only"),
    (lambda c: c.nat_gateway("af-south-1"), "no NAT gateway price for af-south-1"),
    (lambda c: c.nat_gateway("mars-1"), "unknown region 'mars-1'"),
    (lambda c: c.public_ipv4("mars-1", idle=True), "unknown region 'mars-1'"),
    (lambda c: c.eks_cluster("mars-1"), "unknown region 'mars-1'"),
]


@pytest.mark.parametrize(("lookup", "fragment"), UNKNOWN)
def test_unknown_prices_are_none_with_a_reason(
    catalogue: Catalogue, lookup: Lookup, fragment: str
) -> None:
    quote = lookup(catalogue)
    assert quote.usd is None
    assert quote.reason is not None and fragment in quote.reason


NOTES: list[tuple[Lookup, str]] = [
    (lambda c: c.ec2("t3.medium", "us-east-1", "windows"), "2023 price data"),
    (lambda c: c.sagemaker("ml.m5.large", "us-east-1"), "Studio-notebook rate"),
    (lambda c: c.ec2("p5en.48xlarge", "us-east-1"), "$84.8000/h"),
    (lambda c: c.ec2("c8a.metal-24xl", "us-east-1"), "metal prices ran 6-10% above"),
    (lambda c: c.rds("db.m5.large", "us-east-1", "oracle-se2"), "priced as license-included"),
    (lambda c: c.rds("db.m5.large", "us-east-1", "oracle-ee"), "Oracle licence not included"),
    (
        lambda c: c.rds("db.r6g.large", "us-east-1", "aurora", multi_az=True),
        "Aurora bills per instance",
    ),
    (lambda c: c.nat_gateway("us-east-1"), "hand-entered"),
]


@pytest.mark.parametrize(("lookup", "fragment"), NOTES)
def test_caveats_travel_as_notes_on_known_prices(
    catalogue: Catalogue, lookup: Lookup, fragment: str
) -> None:
    quote = lookup(catalogue)
    assert quote.usd is not None
    assert quote.note is not None and fragment in quote.note


@pytest.mark.parametrize(
    ("engine", "db_class", "licence"),
    [
        ("mysql", "db.r5.large", None),
        ("postgres", "db.r5.large", None),
        ("mariadb", "db.r5.large", None),
        ("aurora", "db.r5.large", None),
        ("aurora-mysql", "db.r5.large", None),
        ("aurora-postgresql", "db.r5.large", None),
        ("sqlserver-ee", "db.r5.xlarge", None),
        ("sqlserver-se", "db.r5.large", None),
        ("sqlserver-ex", "db.t3.small", None),
        ("sqlserver-web", "db.r5.large", None),
        ("oracle-ee", "db.r5.large", None),
        ("oracle-ee-cdb", "db.r5.large", "bring-your-own-license"),
        ("oracle-se2", "db.r5.large", "license-included"),
        ("oracle-se2-cdb", "db.r5.large", "bring-your-own-license"),
        ("db2-se", "db.r6i.large", None),
        ("db2-ae", "db.r6i.large", "bring-your-own-license"),
    ],
)
def test_every_rds_engine_has_prices(
    catalogue: Catalogue, engine: str, db_class: str, licence: str | None
) -> None:
    quote = catalogue.rds(db_class, "us-east-1", engine, license_model=licence)
    assert quote.usd is not None and quote.usd > 0, quote.reason


def test_aurora_is_aurora_mysql(catalogue: Catalogue) -> None:
    assert catalogue.rds("db.r6g.large", "eu-west-1", "aurora") == catalogue.rds(
        "db.r6g.large", "eu-west-1", "aurora-mysql"
    )


def test_multi_az_costs_more_than_single_az(catalogue: Catalogue) -> None:
    single = catalogue.rds("db.r6g.large", "eu-west-1", "postgres").usd
    multi = catalogue.rds("db.r6g.large", "eu-west-1", "postgres", multi_az=True).usd
    assert single is not None and multi is not None and multi > single


def test_coverage_counts(catalogue: Catalogue) -> None:
    stats = catalogue.stats()
    assert stats["ec2_linux_pairs"] >= 16_500
    assert stats["regions"] == 36
    assert stats["ec2_windows_pairs"] >= 400
    assert stats["rds_prices"] >= 50_000
    assert stats["lambda_rates"] == 2 * 4 * 36
    assert stats["elasticache_node_types"] >= 85
    assert all(count > 0 for count in stats.values())


@pytest.mark.parametrize(
    "region", ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1"]
)
def test_every_region_has_linux_and_lambda_prices(catalogue: Catalogue, region: str) -> None:
    assert catalogue.ec2("t3.micro", region).usd is not None
    assert catalogue.lambda_rate("duration", region, "arm64").usd is not None


def test_quote_is_either_priced_or_explained() -> None:
    assert Quote(0.1, "hour").known
    assert not Quote(None, "hour", reason="why").known
    with pytest.raises(ValueError):
        Quote(None, "hour")
    with pytest.raises(ValueError):
        Quote(0.1, "hour", reason="a price and a reason")


def test_invalid_data_is_rejected() -> None:
    with pytest.raises(CatalogueDataError):
        Catalogue({"regions": {"codes": {}, "names": {}}})


def test_load_catalogue_is_cached_and_fast() -> None:
    load_catalogue.cache_clear()
    start = time.perf_counter()
    first = load_catalogue()
    elapsed = time.perf_counter() - start
    assert load_catalogue() is first
    assert elapsed < 0.5


def test_lookups_are_fast(catalogue: Catalogue) -> None:
    start = time.perf_counter()
    for _ in range(20_000):
        catalogue.ec2("m5.large", "us-east-1")
    assert time.perf_counter() - start < 0.5
