"""`dd0c-cost price`: look up an AWS on-demand list price in the catalogue.

    dd0c-cost price ec2 m5.large --region us-east-1 [--os windows]
    dd0c-cost price rds db.r6g.large --region eu-west-1 --engine postgres --multi-az
    dd0c-cost price lambda-provisioned --region us-east-1 --memory-mb 1024 --concurrency 5
    dd0c-cost price nat-gateway --region us-east-1 --json
    dd0c-cost price --stdin < queries.jsonl

Exit codes: 0 priced; 1 the price is unknown (the reason goes to stderr); 2 a bad query.
With --stdin every line gets one JSON answer; the exit code is 2 if any line was malformed.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from pricing import Catalogue, PricingError, Quote, load_catalogue
from pricing.catalogue import HOURS_PER_MONTH

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

Service = Literal[
    "ec2",
    "rds",
    "lambda",
    "lambda-provisioned",
    "ebs",
    "eks",
    "elb",
    "elasticache",
    "redshift",
    "opensearch",
    "sagemaker",
    "nat-gateway",
    "public-ipv4",
]
SERVICES: tuple[str, ...] = get_args(Service)

# Fields each service needs besides `region`.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ec2": ("size",),
    "rds": ("size", "engine"),
    "lambda": ("kind",),
    "lambda-provisioned": ("memory_mb", "concurrency"),
    "ebs": ("size",),
    "elb": ("kind",),
    "elasticache": ("size",),
    "redshift": ("size",),
    "opensearch": ("size",),
    "sagemaker": ("size",),
}
_UNIT_TEXT = {"hour": "h", "gb-month": "GB-month", "gb-second": "GB-second", "request": "request"}


class PriceQuery(BaseModel):
    """One price question, as a --stdin line or built from the command-line options."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, alias_generator=to_camel, populate_by_name=True
    )

    service: Service
    region: str
    size: str | None = None
    os: str = "linux"
    engine: str | None = None
    multi_az: bool = False
    license_model: str | None = None
    io_optimized: bool = False
    arch: str = "x86_64"
    memory_mb: int | None = None
    concurrency: int | None = None
    kind: str | None = None
    extended_support: bool = False
    idle: bool = False

    @model_validator(mode="after")
    def _has_required(self) -> PriceQuery:
        missing = [name for name in _REQUIRED.get(self.service, ()) if getattr(self, name) is None]
        if missing:
            names = ", ".join(to_camel(name) for name in missing)
            raise ValueError(f"{self.service} needs {names}")
        return self

    def text(self, name: str) -> str:
        """A required string field (present once validated)."""
        value = getattr(self, name)
        return value if isinstance(value, str) else ""

    def number(self, name: str) -> int:
        """A required integer field (present once validated)."""
        value = getattr(self, name)
        return value if isinstance(value, int) else 0


_Lookup = Callable[[Catalogue, PriceQuery], Quote]

_LOOKUPS: dict[str, _Lookup] = {
    "ec2": lambda c, q: c.ec2(q.text("size"), q.region, q.os),
    "rds": lambda c, q: c.rds(
        q.text("size"),
        q.region,
        q.text("engine"),
        q.multi_az,
        q.license_model,
        io_optimized=q.io_optimized,
    ),
    "lambda": lambda c, q: c.lambda_rate(q.text("kind"), q.region, q.arch),
    "lambda-provisioned": lambda c, q: c.lambda_provisioned_hourly(
        q.region, q.arch, q.number("memory_mb"), q.number("concurrency")
    ),
    "ebs": lambda c, q: c.ebs(q.text("size"), q.region),
    "eks": lambda c, q: c.eks_cluster(q.region, q.extended_support),
    "elb": lambda c, q: c.load_balancer(q.text("kind"), q.region),
    "elasticache": lambda c, q: c.elasticache(q.text("size"), q.region, q.engine or "redis"),
    "redshift": lambda c, q: c.redshift(q.text("size"), q.region),
    "opensearch": lambda c, q: c.opensearch(q.text("size"), q.region),
    "sagemaker": lambda c, q: c.sagemaker(q.text("size"), q.region),
    "nat-gateway": lambda c, q: c.nat_gateway(q.region),
    "public-ipv4": lambda c, q: c.public_ipv4(q.region, q.idle),
}


def price(catalogue: Catalogue, query: PriceQuery) -> Quote:
    """The catalogue's answer to one query."""
    return _LOOKUPS[query.service](catalogue, query)


def answer(echo: Mapping[str, Any], quote: Quote) -> dict[str, Any]:
    """The JSON answer: the query echoed, plus the price (usdPerHour null unless hourly)."""
    hourly = quote.usd if quote.unit == "hour" else None
    return {
        **echo,
        "usdPerHour": hourly,
        "usd": quote.usd,
        "unit": quote.unit,
        "reason": quote.reason,
        "note": quote.note,
        "source": quote.source or None,
    }


def malformed(echo: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """The JSON answer to a line that is not a valid query."""
    empty = {"usdPerHour": None, "usd": None, "unit": None, "note": None, "source": None}
    return {**echo, **empty, "reason": reason}


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


# --- text output ------------------------------------------------------------------------------


def _amount(usd: float) -> str:
    if usd >= 1:
        return f"{usd:,.4f}"
    if usd >= 0.0001:
        return f"{usd:.4f}"
    return f"{usd:.10f}".rstrip("0")


def _qualifiers(query: PriceQuery) -> list[str]:
    parts: dict[str, list[str | None]] = {
        "ec2": [query.os],
        "rds": [query.engine, query.license_model, "multi-az" if query.multi_az else "single-az"],
        "lambda": [query.kind, query.arch],
        "lambda-provisioned": [query.arch, f"{query.memory_mb} MB x {query.concurrency}"],
        "eks": ["extended-support" if query.extended_support else "standard"],
        "elb": [query.kind],
        "elasticache": [query.engine or "redis"],
        "public-ipv4": ["idle" if query.idle else "in-use"],
    }
    if query.io_optimized:
        parts["rds"].append("io-optimized")
    return [part for part in parts.get(query.service, []) if part]


def format_line(query: PriceQuery, quote: Quote) -> str:
    """One readable line: what, where, and the price (with a month at 730 h when hourly)."""
    usd = quote.usd if quote.usd is not None else 0.0
    fields = [query.size or query.service, query.region, *_qualifiers(query)]
    fields.append(f"${_amount(usd)}/{_UNIT_TEXT.get(quote.unit, quote.unit)}")
    if quote.unit == "hour":
        fields.append(f"(${usd * HOURS_PER_MONTH:,.2f}/month at {HOURS_PER_MONTH} h)")
    if quote.unit == "request":
        fields.append(f"(${usd * 1e6:,.2f} per million)")
    if quote.note:
        fields.append(f"[{quote.note}]")
    return "  ".join(fields)


# --- the sub-command --------------------------------------------------------------------------


def _args_query(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, as a query object (camelCase, unset left out)."""
    values = {name: getattr(args, name) for name in PriceQuery.model_fields if name != "service"}
    if args.service in ("elb", "lambda") and values["kind"] is None:
        values["kind"] = values.pop("size")
    given = {to_camel(name): value for name, value in values.items() if value not in (None, False)}
    return {"service": args.service, **given}


def _run_one(args: argparse.Namespace, catalogue: Catalogue) -> int:
    if args.service is None:
        print("dd0c-cost price: give a SERVICE, or --stdin", file=sys.stderr)
        return 2
    echo = _args_query(args)
    try:
        query = PriceQuery.model_validate(echo)
    except ValidationError as exc:
        print(f"dd0c-cost price: {_validation_reason(exc)}", file=sys.stderr)
        return 2
    quote = price(catalogue, query)
    if args.json:
        print(orjson.dumps(answer(echo, quote)).decode())
    elif quote.usd is not None:
        print(format_line(query, quote))
    if quote.usd is None:
        print(f"dd0c-cost price: {quote.reason}", file=sys.stderr)
        return 1
    return 0


def _stdin_answer(line: str, catalogue: Catalogue) -> tuple[dict[str, Any], bool]:
    """(answer, readable) for one --stdin line."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return malformed({"input": line}, f"not JSON: {exc}"), False
    if not isinstance(obj, dict):
        return malformed({"input": obj}, "not a JSON object"), False
    try:
        query = PriceQuery.model_validate(obj)
    except ValidationError as exc:
        return malformed(obj, f"malformed query: {_validation_reason(exc)}"), False
    return answer(obj, price(catalogue, query)), True


def _run_stdin(catalogue: Catalogue) -> int:
    if isinstance(sys.stdin, io.TextIOWrapper):
        # Undecodable bytes become U+FFFD, so the line is answered as malformed, not a crash.
        sys.stdin.reconfigure(errors="replace")
    all_readable = True
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        result, readable = _stdin_answer(line, catalogue)
        all_readable = all_readable and readable
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0 if all_readable else 2


def run(args: argparse.Namespace) -> int:
    """Answer one query from the options, or one query per --stdin line."""
    try:
        catalogue = load_catalogue()
    except PricingError as exc:
        print(f"dd0c-cost price: {exc}", file=sys.stderr)
        return 2
    return _run_stdin(catalogue) if args.stdin else _run_one(args, catalogue)


def register(subparsers: SubParsers) -> None:
    """Add the `price` sub-command."""
    parser = subparsers.add_parser(
        "price",
        help="look up an AWS on-demand list price",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("service", nargs="?", choices=SERVICES, help="what to price")
    parser.add_argument(
        "size", nargs="?", help="instance type, DB class, node type or EBS volume type"
    )
    parser.add_argument("--region", help="region code, e.g. us-east-1")
    parser.add_argument("--os", help="ec2: linux (default) or windows")
    parser.add_argument("--engine", help="rds: engine as CloudTrail spells it; elasticache engine")
    parser.add_argument("--multi-az", action="store_true", help="rds: Multi-AZ deployment")
    parser.add_argument("--license-model", help="rds: license-included | bring-your-own-license")
    parser.add_argument("--io-optimized", action="store_true", help="rds: Aurora I/O-Optimized")
    parser.add_argument("--arch", help="lambda: x86_64 (default) or arm64")
    parser.add_argument("--memory-mb", type=int, help="lambda-provisioned: function memory")
    parser.add_argument("--concurrency", type=int, help="lambda-provisioned: concurrency")
    parser.add_argument(
        "--kind",
        help="elb: application|network|gateway|classic; "
        "lambda: duration|requests|provisioned|duration-provisioned",
    )
    parser.add_argument("--extended-support", action="store_true", help="eks: extended support")
    parser.add_argument("--idle", action="store_true", help="public-ipv4: an idle address")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--stdin", action="store_true", help="answer one JSON query per line")
    parser.set_defaults(func=run)
