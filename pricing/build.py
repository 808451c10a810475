"""Generate `pricing/data/*.json` from the AWS price data vendored in `pricing/sources/`.

    python -m pricing.build [--source DIR] [--out DIR] [--check]

This is the package's one edge step: it reads the source files (SOURCES.md says what each holds
and which wins), turns them into the compact catalogue, and writes one deterministic JSON file per
service (sorted keys, compact separators, newline at the end). `--check` compares instead of
writing and exits 1 naming every file that differs. The source is `--source`, else
$DD0C_PRICING_SOURCE, else the vendored `pricing/sources/aws-pricing.tar.xz`; either may be a
directory of the source files or a `.tar.xz` archive of one (see pricing/sources/SOURCES.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from pricing._parse_ec2 import KARPENTER_REGION, WINDOWS_REGION, merge_linux, windows_prices
from pricing._parse_rds import rds_prices
from pricing._parse_regions import build_regions
from pricing._parse_services import (
    ebs_prices,
    eks_prices,
    elasticache_prices,
    elb_prices,
    lambda_prices,
    opensearch_prices,
    rds_storage_prices,
    redshift_prices,
    sagemaker_prices,
    vpc_prices,
)
from pricing._published import (
    NAT_GATEWAY_DATA_SOURCE,
    NAT_GATEWAY_HOURLY,
    NAT_GATEWAY_PER_GB,
    NAT_GATEWAY_SOURCE,
)
from pricing._schema import DATA_FILES, CatalogueData
from pricing._source_tree import SourceTree, open_tree
from pricing._sources import INSTANCES_INFO, PROCESSED, MeteredUnitMap, Processed, Sources
from pricing.errors import CatalogueDataError, PricingError, SourceFormatError

SOURCE_ENV = "DD0C_PRICING_SOURCE"
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = PACKAGE_DIR / "data"
DEFAULT_SOURCE = PACKAGE_DIR / "sources" / "aws-pricing.tar.xz"
RDS_STEMS = ("aurora", "db2", "mariadb", "mysql", "oracle", "postgresql", "sqlserver")
_APW = "aws-price-watcher/processed/"
_SHOP_EC2 = "ec2.shop/data/ec2"
_KARPENTER_CSV = "karpenter/ondemand-linux-us-east-1.csv"
_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def default_source_dir(environ: Mapping[str, str] | None = None) -> Path:
    """--source's default: $DD0C_PRICING_SOURCE, else the vendored archive in pricing/sources/."""
    configured = (os.environ if environ is None else environ).get(SOURCE_ENV)
    if configured:
        return Path(configured)
    return DEFAULT_SOURCE


# --- reading (the I/O) ----------------------------------------------------------------------


def _format_error(where: str, exc: ValidationError) -> SourceFormatError:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    return SourceFormatError(f"{where}: {loc}: {first['msg']}")


def _processed(tree: SourceTree, name: str) -> Processed:
    try:
        return PROCESSED.validate_json(tree.read(_APW + name))
    except ValidationError as exc:
        raise _format_error(tree.where(_APW + name), exc) from exc


def _metered(tree: SourceTree, relative: str) -> MeteredUnitMap:
    try:
        return MeteredUnitMap.model_validate_json(tree.read(relative))
    except ValidationError as exc:
        raise _format_error(tree.where(relative), exc) from exc


def _region_aliases(tree: SourceTree, relative: str) -> tuple[dict[str, str], ...]:
    try:
        entries = INSTANCES_INFO.validate_json(tree.read(relative))
    except ValidationError as exc:
        raise _format_error(tree.where(relative), exc) from exc
    return tuple(entry.regions for entry in entries if entry.regions)


def _shop_ec2(tree: SourceTree) -> dict[str, MeteredUnitMap]:
    return {name: _metered(tree, f"{_SHOP_EC2}/{name}") for name in tree.json_names(_SHOP_EC2)}


def read_sources(root: Path) -> Sources:
    """Read and shape-check every source file under `root` (a directory or a .tar.xz of one)."""
    tree = open_tree(root, f"set {SOURCE_ENV} or pass --source")
    info = "ec2-instances-info/data/"
    return Sources(
        shop_ec2=_shop_ec2(tree),
        shop_ebs=_metered(tree, "ec2.shop/data/ebs/ebs.json"),
        apw_ec2=_processed(tree, "ec2.json"),
        apw_rds={stem: _processed(tree, f"rds-{stem}-ondemand.json") for stem in RDS_STEMS},
        apw_lambda=_processed(tree, "lambda.json"),
        apw_eks=_processed(tree, "eks.json"),
        apw_elb=_processed(tree, "elb.json"),
        apw_vpc=_processed(tree, "vpc.json"),
        apw_rds_storage=_processed(tree, "rds-storage.json"),
        apw_elasticache=_processed(tree, "elasticache.json"),
        apw_opensearch=_processed(tree, "es.json"),
        apw_sagemaker=_processed(tree, "sagemaker-instances-studionotebook.json"),
        raw_redshift=_metered(tree, "aws-price-watcher/raw/redshift.json"),
        karpenter_csv=tree.read(_KARPENTER_CSV).decode(),
        windows_txt=tree.read("ec2-instances-info/generated_instances_data.txt").decode(),
        region_aliases=_region_aliases(tree, info + "elasticache-instances.json")
        + _region_aliases(tree, info + "opensearch-instances.json"),
    )


# --- building (pure) ------------------------------------------------------------------------


def _source_notes(sources: Sources) -> dict[str, str]:
    """Provenance of each price family, shown as `Quote.source`."""
    shop_date = min(doc.published() for doc in sources.shop_ec2.values())
    karpenter_date = sources.karpenter_csv.rsplit(",", 1)[-1].strip()[:10]
    return {
        "ec2": "AWS pricing pages via aws-price-watcher processed/ec2.json (2025-11-20)",
        "ec2.shop": f"AWS pricing pages via ec2.shop (published {shop_date})",
        "karpenter": f"Karpenter's AWS Price List table for {KARPENTER_REGION} ({karpenter_date})",
        "windows": "ec2-instances-info generated_instances_data.txt (2023-08-30)",
        "rds": "AWS pricing pages via aws-price-watcher processed/rds-*-ondemand.json (2025)",
        "lambda": "AWS pricing pages via aws-price-watcher processed/lambda.json (2025-12-02)",
        "ebs": f"AWS pricing pages via ec2.shop data/ebs/ebs.json ({sources.shop_ebs.published()})",
        "eks": "AWS pricing pages via aws-price-watcher processed/eks.json (2025-08-28)",
        "elb": "AWS pricing pages via aws-price-watcher processed/elb.json (2025-11-03)",
        "elasticache": "AWS pricing pages via aws-price-watcher processed/elasticache.json "
        "(2025-12-05)",
        "redshift": "AWS pricing pages via aws-price-watcher raw/redshift.json "
        f"({sources.raw_redshift.published()})",
        "opensearch": "AWS pricing pages via aws-price-watcher processed/es.json (2025-12-03)",
        "sagemaker": "AWS pricing pages via aws-price-watcher "
        "processed/sagemaker-instances-studionotebook.json (2025-12-05)",
        "public-ipv4": "AWS pricing pages via aws-price-watcher processed/vpc.json (2025-11-19)",
        "nat-gateway": NAT_GATEWAY_SOURCE,
        "nat-gateway-data": NAT_GATEWAY_DATA_SOURCE,
        "rds-storage": "AWS pricing pages via aws-price-watcher processed/rds-storage.json "
        "(2025-12-05)",
    }


def _ec2(sources: Sources, names: Mapping[str, str]) -> dict[str, Any]:
    linux = merge_linux(sources.shop_ec2, sources.apw_ec2, sources.karpenter_csv, names)
    windows, not_offered = windows_prices(sources.windows_txt)
    origin = {
        source: {region: sorted(types) for region, types in regions.items() if types}
        for source, regions in linux.origin.items()
    }
    return {
        "linux": linux.prices,
        "windows": {WINDOWS_REGION: windows},
        "origin": origin,
        "replaced": linux.replaced,
        "windows-not-offered": {WINDOWS_REGION: not_offered},
    }


def _prune(value: Any) -> Any:
    """Drop empty mappings, so a service never lists a region with nothing in it."""
    if not isinstance(value, dict):
        return value
    pruned = {key: _prune(item) for key, item in value.items()}
    return {key: item for key, item in pruned.items() if item != {}}


def build_data(sources: Sources) -> dict[str, Any]:
    """The catalogue as JSON-ready objects, one per data file, validated against the schema."""
    codes, names = build_regions(sources.shop_ec2, sources.region_aliases)
    data: dict[str, Any] = {
        "ec2": _ec2(sources, names),
        "rds": rds_prices(sources.apw_rds, names),
        "lambda": lambda_prices(sources.apw_lambda, names),
        "ebs": ebs_prices(sources.shop_ebs, names),
        "eks": eks_prices(sources.apw_eks, names),
        "elb": elb_prices(sources.apw_elb, names),
        "elasticache": elasticache_prices(sources.apw_elasticache, names),
        "redshift": redshift_prices(sources.raw_redshift, names),
        "opensearch": opensearch_prices(sources.apw_opensearch, names),
        "sagemaker": sagemaker_prices(sources.apw_sagemaker, names),
        "rds-storage": rds_storage_prices(sources.apw_rds_storage, names),
        "vpc": {
            **vpc_prices(sources.apw_vpc, names),
            "nat-gateway": dict(NAT_GATEWAY_HOURLY),
            "nat-gateway-data": dict(NAT_GATEWAY_PER_GB),
        },
    }
    data = _prune(data)
    data["regions"] = {"codes": codes, "names": names}
    data["sources"] = _source_notes(sources)
    unknown = (set(NAT_GATEWAY_HOURLY) | set(NAT_GATEWAY_PER_GB)) - set(codes)
    if unknown:
        raise CatalogueDataError(f"NAT gateway table names unknown regions: {sorted(unknown)}")
    try:
        CatalogueData.model_validate(data)
    except ValidationError as exc:
        raise CatalogueDataError(f"generated catalogue is invalid: {exc.errors()[0]}") from exc
    return {name: data[name] for name in DATA_FILES}


def serialize(data: Mapping[str, Any]) -> dict[str, bytes]:
    """File name -> deterministic JSON bytes."""
    return {
        f"{name}.json": orjson.dumps(value, option=_JSON_OPTIONS) for name, value in data.items()
    }


def generate(source_dir: Path) -> dict[str, bytes]:
    """Read `source_dir` and return the data files the catalogue should consist of."""
    return serialize(build_data(read_sources(source_dir)))


# --- writing and checking (the I/O) ---------------------------------------------------------


def write(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write the data files; return the names of other `*.json` files found there (kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out_dir / name).write_bytes(content)
    return sorted(p.name for p in out_dir.glob("*.json") if p.name not in files)


def _first_difference(old: Any, new: Any, path: str = "") -> str | None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                return f"{path}{key}: {'added' if key not in old else 'removed'}"
            found = _first_difference(old[key], new[key], f"{path}{key}.")
            if found is not None:
                return found
        return None
    return None if old == new else f"{path.rstrip('.')}: {old!r} -> {new!r}"


def _describe(path: Path, old: bytes, new: bytes) -> str:
    try:
        detail = _first_difference(orjson.loads(old), orjson.loads(new))
    except orjson.JSONDecodeError:
        detail = "not valid JSON"
    return f"{path} differs ({detail or 'formatting'})"


def check(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """One line per data file that is missing, different or unexpected in `out_dir`."""
    problems: list[str] = []
    for name, content in files.items():
        path = out_dir / name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif (existing := path.read_bytes()) != content:
            problems.append(_describe(path, existing, content))
    extra = sorted(p.name for p in out_dir.glob("*.json") if p.name not in files)
    problems.extend(f"{out_dir / name} is not generated by pricing.build" for name in extra)
    return problems


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pricing.build", description=__doc__)
    parser.add_argument(
        "--source",
        type=Path,
        help=f"source directory or .tar.xz (default: ${SOURCE_ENV}, else {DEFAULT_SOURCE.name})",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 done / up to date, 1 `--check` found differences, 2 source problem."""
    args = _parser().parse_args(argv)
    source: Path = args.source or default_source_dir()
    try:
        files = generate(source)
    except PricingError as exc:
        print(f"pricing.build: {exc}", file=sys.stderr)
        return 2
    if args.check:
        problems = check(args.out, files)
        for line in problems:
            print(f"pricing.build --check: {line}", file=sys.stderr)
        if not problems:
            print(f"pricing.build --check: {args.out} is up to date ({len(files)} files)")
        return 1 if problems else 0
    for name in write(args.out, files):
        print(f"pricing.build: {args.out / name} is not generated; delete it", file=sys.stderr)
    size = sum(len(content) for content in files.values())
    print(f"pricing.build: wrote {len(files)} files ({size / 1e6:.2f} MB) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
