"""The price catalogue: O(1) on-demand list-price lookups over the generated data (pure).

`Catalogue` is built from the already-parsed `pricing/data/*.json` objects and does no I/O.
Every lookup returns a `Quote`. A price the data does not have is `usd=None` with a `reason`;
the catalogue never guesses a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from pricing._rds_engines import RdsKey, resolve
from pricing._regionmap import RegionMap
from pricing._schema import CatalogueData
from pricing.errors import CatalogueDataError
from pricing.values import value_type

HOUR = "hour"
GB_SECOND = "gb-second"
REQUEST = "request"
GB_MONTH = "gb-month"
GB = "gb"
HOURS_PER_MONTH = 730  # AWS's own convention for turning $/h into $/month and back

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_LAMBDA_UNITS = {
    "duration": GB_SECOND,
    "requests": REQUEST,
    "provisioned": GB_SECOND,
    "duration-provisioned": GB_SECOND,
}
_LAMBDA_NOTES = {
    "duration": "first-tier rate; usage above 6 billion GB-seconds a month is cheaper",
    "provisioned": "charged for the concurrency configured, used or not",
}
_LB_KINDS = {"alb": "application", "nlb": "network", "gwlb": "gateway", "clb": "classic"}
_WINDOWS_NOTE = "2023 price data: Windows prices are from Aug 2023, us-east-1 only"
_SHOP_NOTE = "April 2025 price data: the newer pricing-page data lacks this pair"
_METAL_NOTE = "Karpenter's metal prices ran 6-10% above the AWS pricing pages where both exist"
_LEGACY_ES_NOTE = "legacy Elasticsearch type: billed as its OpenSearch instance type"
_SAGEMAKER_NOTE = "Studio-notebook rate; hosting may differ by a few percent"
# service -> (display name, why an item absent from every region has no price)
_TYPED_SERVICES = {
    "redshift": ("Redshift", "unknown node type"),
    "opensearch": ("OpenSearch", "unknown instance type"),
    "sagemaker": ("SageMaker", "not in the price data, which has Studio-notebook rates only"),
}
_NAT_NOTE = (
    "hourly charge only, hand-entered from the AWS VPC pricing page; per-GB processing extra"
)


@value_type
class Quote:
    """A price answer: `usd` per `unit`, or `usd=None` with the `reason` it is unknown."""

    usd: float | None
    unit: str
    reason: str | None = None
    note: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if (self.usd is None) != (self.reason is not None):
            raise ValueError("a Quote has either a price or a reason, never both or neither")

    @property
    def known(self) -> bool:
        """True when the quote carries a price."""
        return self.usd is not None


def _unknown(unit: str, reason: str) -> Quote:
    return Quote(None, unit, reason=reason)


def _keys(table: Mapping[str, Mapping[str, float]]) -> frozenset[str]:
    return frozenset(key for per_region in table.values() for key in per_region)


def _count(value: Any) -> int:
    """Number of prices (leaves) in a nested table."""
    return sum(_count(v) for v in value.values()) if isinstance(value, Mapping) else 1


def _pairs(source: str, regions: Mapping[str, Iterable[str]]) -> dict[tuple[str, str], str]:
    return {(region, name): source for region, names in regions.items() for name in names}


class Catalogue:
    """On-demand list prices for EC2, RDS, Lambda, EBS, EKS, ELB, ElastiCache and more."""

    def __init__(self, files: Mapping[str, Any]) -> None:
        try:
            data = CatalogueData.model_validate(files)
        except ValidationError as exc:
            raise CatalogueDataError(f"catalogue data is invalid: {exc.errors()[0]}") from exc
        self.regions = RegionMap(data.regions.codes, data.regions.names)
        self._sources = data.sources
        self._ec2 = {"linux": data.ec2.linux, "windows": data.ec2.windows}
        self._ec2_origin: dict[tuple[str, str], str] = {}
        for source, regions in data.ec2.origin.items():
            self._ec2_origin.update(_pairs(source, regions))
        self._ec2_replaced = data.ec2.replaced
        self._windows_not_offered = _pairs("", data.ec2.windows_not_offered)
        self._ec2_types = _keys(data.ec2.linux) | _keys(data.ec2.windows)
        self._rds = data.rds
        self._rds_classes = {
            (edition, licence): frozenset().union(*map(_keys, deployments.values()))
            for edition, licences in data.rds.items()
            for licence, deployments in licences.items()
        }
        self._lambda = data.lambda_
        self._ebs = data.ebs
        self._eks = data.eks
        self._elb = data.elb
        self._elasticache = data.elasticache
        self._cache_engine_types = {e: _keys(table) for e, table in data.elasticache.items()}
        self._cache_types = frozenset().union(*self._cache_engine_types.values())
        self._typed = {
            "redshift": data.redshift,
            "opensearch": data.opensearch,
            "sagemaker": data.sagemaker,
        }
        self._typed_keys = {name: _keys(table) for name, table in self._typed.items()}
        self._vpc = data.vpc
        self._rds_storage = data.rds_storage
        self._data = data

    # --- shared reasons -----------------------------------------------------------------

    def _bad_region(self, region: str, unit: str) -> Quote | None:
        """An unknown-region quote, or None when `region` is a region code we know."""
        if self.regions.is_region(region):
            return None
        code = self.regions.region_code(region)
        hint = f" (its code is {code})" if code else ""
        return _unknown(unit, f"unknown region '{region}'{hint}")

    def _by_region(
        self, table: Mapping[str, float], what: str, region: str, unit: str, source: str
    ) -> Quote:
        price = table.get(region)
        if price is not None:
            return Quote(price, unit, source=self._sources[source])
        bad = self._bad_region(region, unit)
        return bad or _unknown(unit, f"no {what} price for {region} in the price data")

    def _by_type(
        self, service: str, item: str, region: str, known: frozenset[str], unknown_why: str
    ) -> Quote:
        """The unknown quote for an item missing from a region -> item -> price table."""
        bad = self._bad_region(region, HOUR)
        if bad is not None:
            return bad
        why = unknown_why if item not in known else f"not offered in {region}"
        return _unknown(HOUR, f"no {service} price for {item} in {region}: {why}")

    # --- EC2 ------------------------------------------------------------------------------

    def ec2(self, instance_type: str, region: str, os: str = "linux") -> Quote:
        """On-demand hourly price of an EC2 instance (os: linux | windows; shared tenancy)."""
        table = self._ec2.get(os)
        if table is None:
            return _unknown(HOUR, f"unknown operating system '{os}': linux or windows")
        price = table.get(region, _EMPTY).get(instance_type)
        if price is None:
            return self._ec2_missing(instance_type, region, os)
        if os == "windows":
            return Quote(price, HOUR, note=_WINDOWS_NOTE, source=self._sources["windows"])
        origin = self._ec2_origin.get((region, instance_type), "ec2")
        note = self._ec2_note(origin, region, instance_type)
        return Quote(price, HOUR, note=note, source=self._sources[origin])

    def _ec2_note(self, origin: str, region: str, instance_type: str) -> str | None:
        if origin == "ec2.shop":
            return _SHOP_NOTE
        if origin != "karpenter":
            return None
        older = self._ec2_replaced.get(region, _EMPTY).get(instance_type)
        if older is not None:
            return f"newer than the AWS pricing-page data of Nov 2025, which had ${older:.4f}/h"
        return _METAL_NOTE if ".metal" in instance_type else None

    def _ec2_missing(self, instance_type: str, region: str, os: str) -> Quote:
        bad = self._bad_region(region, HOUR)
        if bad is not None:
            return bad
        label = "EC2 Windows" if os == "windows" else "EC2"
        prefix = f"no {label} price for {instance_type} in {region}"
        if instance_type not in self._ec2_types:
            return _unknown(HOUR, f"{prefix}: unknown instance type")
        if os == "windows":
            return _unknown(HOUR, f"{prefix}: {self._windows_gap(instance_type, region)}")
        if self._ec2_origin.get(("us-east-1", instance_type)) == "karpenter":
            why = "types launched after April 2025 have prices for us-east-1 only"
            return _unknown(HOUR, f"{prefix}: {why}")
        return _unknown(HOUR, f"{prefix}: not offered in {region}")

    def _windows_gap(self, instance_type: str, region: str) -> str:
        if region not in self._ec2["windows"]:
            return "the data has Windows prices for us-east-1 only"
        if (region, instance_type) in self._windows_not_offered:
            return "not offered with Windows"
        return "not in the 2023 Windows price list"

    # --- RDS ------------------------------------------------------------------------------

    def rds(
        self,
        db_class: str,
        region: str,
        engine: str,
        multi_az: bool = False,
        license_model: str | None = None,
        *,
        io_optimized: bool = False,
    ) -> Quote:
        """On-demand hourly price of an RDS or Aurora DB instance; engine as CloudTrail has it."""
        key = resolve(engine, license_model, io_optimized, multi_az)
        if isinstance(key, str):
            return _unknown(HOUR, f"no RDS price for {db_class} ({engine}) in {region}: {key}")
        by_region = self._rds_table(key)
        price = by_region.get(region, _EMPTY).get(db_class)
        if price is not None:
            return Quote(price, HOUR, note=key.note, source=self._sources["rds"])
        return self._rds_missing(db_class, region, engine, key)

    def _rds_table(self, key: RdsKey) -> Mapping[str, Mapping[str, float]]:
        return (
            self._rds.get(key.edition, _EMPTY).get(key.licence, _EMPTY).get(key.deployment, _EMPTY)
        )

    def _rds_missing(self, db_class: str, region: str, engine: str, key: RdsKey) -> Quote:
        bad = self._bad_region(region, HOUR)
        if bad is not None:
            return bad
        prefix = f"no RDS price for {db_class} ({engine}) in {region}"
        if db_class not in self._rds_classes.get((key.edition, key.licence), frozenset()):
            return _unknown(HOUR, f"{prefix}: unknown DB class for {engine}")
        single = self._rds.get(key.edition, _EMPTY).get(key.licence, _EMPTY).get("single", _EMPTY)
        if key.deployment == "multi" and db_class in single.get(region, _EMPTY):
            return _unknown(HOUR, f"{prefix}: not offered Multi-AZ")
        return _unknown(HOUR, f"{prefix}: not offered in {region}")

    def rds_storage(self, kind: str, region: str, deployment: str = "single") -> Quote:
        """RDS storage per GB-month ("gp2", "gp3", "io1", "io2", "standard"), or provisioned
        IOPS per IOPS-month ("iops-io1", "iops-gp3"); deployment: single | multi | cluster."""
        key = f"{deployment}:{kind}"
        table = self._rds_storage.get(key)
        unit = "iops-month" if kind.startswith("iops-") else GB_MONTH
        if table is None:
            return _unknown(unit, f"no RDS storage price for {kind} ({deployment}-AZ)")
        return self._by_region(table, f"RDS {kind} storage", region, unit, "rds-storage")

    # --- Lambda ---------------------------------------------------------------------------

    def lambda_rate(self, kind: str, region: str, arch: str = "x86_64") -> Quote:
        """A Lambda rate: duration / provisioned / duration-provisioned per GB-s, requests each."""
        unit = _LAMBDA_UNITS.get(kind)
        if unit is None:
            kinds = ", ".join(_LAMBDA_UNITS)
            return _unknown(GB_SECOND, f"unknown Lambda rate '{kind}': one of {kinds}")
        by_kind = self._lambda.get(arch)
        if by_kind is None:
            return _unknown(unit, f"unknown Lambda architecture '{arch}': x86_64 or arm64")
        quote = self._by_region(by_kind[kind], f"Lambda {kind}", region, unit, "lambda")
        note = _LAMBDA_NOTES.get(kind)
        if quote.usd is None or note is None:
            return quote
        return Quote(quote.usd, unit, note=note, source=quote.source)

    def lambda_provisioned_hourly(
        self, region: str, arch: str, memory_mb: int, concurrency: int
    ) -> Quote:
        """Hourly cost of provisioned concurrency: memory GB x concurrency x 3600 x the rate."""
        if memory_mb <= 0 or concurrency < 0:
            reason = f"invalid provisioned concurrency: {memory_mb} MB x {concurrency}"
            return _unknown(HOUR, reason)
        rate = self.lambda_rate("provisioned", region, arch)
        if rate.usd is None:
            return _unknown(HOUR, rate.reason or "no provisioned-concurrency rate")
        usd = memory_mb / 1024 * concurrency * 3600 * rate.usd
        note = "provisioned-concurrency charge only; invocations add duration and request charges"
        return Quote(usd, HOUR, note=note, source=rate.source)

    # --- storage, clusters, networking ------------------------------------------------------

    def ebs(self, volume_type: str, region: str) -> Quote:
        """EBS volume storage price per GB-month (IOPS and throughput are extra)."""
        table = self._ebs.get(volume_type)
        if table is None:
            kinds = ", ".join(sorted(self._ebs))
            return _unknown(GB_MONTH, f"unknown EBS volume type '{volume_type}': one of {kinds}")
        return self._by_region(table, f"EBS {volume_type}", region, GB_MONTH, "ebs")

    def eks_cluster(self, region: str, extended_support: bool = False) -> Quote:
        """Hourly price of an EKS cluster, with the extended-support surcharge when asked."""
        base = self._by_region(self._eks.get("standard", _EMPTY), "EKS", region, HOUR, "eks")
        if base.usd is None or not extended_support:
            return base
        extra = self._eks.get("extended-support", _EMPTY).get(region)
        if extra is None:
            return _unknown(HOUR, f"no EKS extended-support price for {region} in the price data")
        note = f"includes the extended-support surcharge of ${extra:.2f}/h"
        return Quote(base.usd + extra, HOUR, note=note, source=base.source)

    def load_balancer(self, kind: str, region: str) -> Quote:
        """Hourly price of a load balancer (application | network | gateway | classic)."""
        table = self._elb.get(_LB_KINDS.get(kind, kind))
        if table is None:
            kinds = ", ".join(sorted(self._elb))
            return _unknown(HOUR, f"unknown load balancer kind '{kind}': one of {kinds}")
        quote = self._by_region(table, f"{kind} load balancer", region, HOUR, "elb")
        if quote.usd is None:
            return quote
        return Quote(quote.usd, HOUR, note="LCU usage is charged on top", source=quote.source)

    def nat_gateway(self, region: str) -> Quote:
        """Hourly price of a NAT gateway, from the hand-entered AWS pricing-page table."""
        price = self._vpc.get("nat-gateway", _EMPTY).get(region)
        if price is not None:
            return Quote(price, HOUR, note=_NAT_NOTE, source=self._sources["nat-gateway"])
        bad = self._bad_region(region, HOUR)
        if bad is not None:
            return bad
        why = "the price data has none and the hand-entered table does not cover this region"
        return _unknown(HOUR, f"no NAT gateway price for {region}: {why}")

    def nat_gateway_data(self, region: str) -> Quote:
        """NAT gateway data-processing price per GB (both directions), hand-entered, few regions."""
        price = self._vpc.get("nat-gateway-data", _EMPTY).get(region)
        if price is not None:
            return Quote(price, GB, source=self._sources["nat-gateway-data"])
        bad = self._bad_region(region, GB)
        if bad is not None:
            return bad
        why = "the price data has none and the hand-entered table does not cover this region"
        return _unknown(GB, f"no NAT gateway per-GB price for {region}: {why}")

    def traffic_mirroring(self, region: str) -> Quote:
        """Hourly price of one Traffic Mirroring session source (an elastic network interface)."""
        return self._by_region(
            self._vpc.get("traffic-mirroring", _EMPTY),
            "Traffic Mirroring",
            region,
            HOUR,
            "public-ipv4",
        )

    def public_ipv4(self, region: str, idle: bool = False) -> Quote:
        """Hourly price of a public IPv4 address (Elastic IP), in use or idle."""
        key = "public-ipv4-idle" if idle else "public-ipv4-in-use"
        return self._by_region(
            self._vpc.get(key, _EMPTY), "public IPv4", region, HOUR, "public-ipv4"
        )

    # --- node and instance types --------------------------------------------------------------

    def elasticache(self, node_type: str, region: str, engine: str = "redis") -> Quote:
        """Hourly price of an ElastiCache node (engine: redis | valkey | memcached)."""
        table = self._elasticache.get(engine)
        if table is None:
            kinds = ", ".join(sorted(self._elasticache))
            return _unknown(HOUR, f"unknown ElastiCache engine '{engine}': one of {kinds}")
        price = table.get(region, _EMPTY).get(node_type)
        if price is not None:
            return Quote(price, HOUR, source=self._sources["elasticache"])
        known = self._cache_engine_types[engine]
        why = (
            f"not offered with {engine}" if node_type in self._cache_types else "unknown node type"
        )
        return self._by_type(f"ElastiCache {engine}", node_type, region, known, why)

    def _typed_quote(self, service: str, item: str, region: str, note: str | None = None) -> Quote:
        price = self._typed[service].get(region, _EMPTY).get(item)
        if price is not None:
            return Quote(price, HOUR, note=note, source=self._sources[service])
        label, unknown_why = _TYPED_SERVICES[service]
        return self._by_type(label, item, region, self._typed_keys[service], unknown_why)

    def redshift(self, node_type: str, region: str) -> Quote:
        """Hourly price of a provisioned Redshift node (ra3.*, dc2.*)."""
        return self._typed_quote("redshift", node_type, region)

    def opensearch(self, instance_type: str, region: str) -> Quote:
        """Hourly price of an OpenSearch instance ("m6g.large.search"; the suffix is optional).

        A legacy Elasticsearch type ("t2.small.elasticsearch") is the same instance as its
        OpenSearch name ("t2.small.search") and is billed at that rate.
        """
        legacy = instance_type.endswith(".elasticsearch")
        if legacy:
            instance_type = instance_type.removesuffix(".elasticsearch")
        if not instance_type.endswith(".search"):
            instance_type += ".search"
        quote = self._typed_quote("opensearch", instance_type, region)
        if not legacy or quote.usd is None:
            return quote
        return Quote(quote.usd, HOUR, note=_LEGACY_ES_NOTE, source=quote.source)

    def sagemaker(self, instance_type: str, region: str) -> Quote:
        """Hourly price of a SageMaker ml.* instance: only Studio-notebook rates are known."""
        return self._typed_quote("sagemaker", instance_type, region, _SAGEMAKER_NOTE)

    # --- summary ----------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """How many prices each service has (and a few distinct-type counts)."""
        data = self._data
        return {
            "regions": len(self.regions.all_region_codes()),
            "region_names": len(data.regions.names),
            "ec2_linux_pairs": _count(data.ec2.linux),
            "ec2_linux_types": len(_keys(data.ec2.linux)),
            "ec2_windows_pairs": _count(data.ec2.windows),
            "rds_prices": _count(data.rds),
            "rds_classes": len(frozenset().union(*self._rds_classes.values())),
            "lambda_rates": _count(data.lambda_),
            "ebs_prices": _count(data.ebs),
            "eks_prices": _count(data.eks),
            "elb_prices": _count(data.elb),
            "elasticache_prices": _count(data.elasticache),
            "elasticache_node_types": len(self._cache_types),
            "redshift_prices": _count(data.redshift),
            "opensearch_prices": _count(data.opensearch),
            "sagemaker_prices": _count(data.sagemaker),
            "public_ipv4_prices": _count(data.vpc.get("public-ipv4-in-use", {}))
            + _count(data.vpc.get("public-ipv4-idle", {})),
            "nat_gateway_prices": _count(data.vpc.get("nat-gateway", {})),
        }
