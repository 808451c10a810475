"""Coverage-check benchmark: how long one account's blind-spot check takes, on moto's server.

    python -m bench.coverage_bench [--concurrency 4 8] [--regions N]

A fresh moto account (no forwarding rules anywhere, so every region also gets its
`ec2:DescribeInstances`) is checked with `onboarding.coverage.check_account` over real HTTP,
once per concurrency value. moto answers far slower than AWS on a loaded machine, so read the
ratio between concurrency values, and the absolute figure as an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aioboto3

from bench.local_aws import REGION, running_moto
from onboarding.coverage import check_account


@dataclass(frozen=True, slots=True)
class Figure:
    """One timed check."""

    concurrency: int
    regions: int
    gaps: int
    seconds: float


async def _credentials(endpoint: str, account_id: str) -> dict[str, str]:
    dd0c = aioboto3.Session(  # moto's fake credentials, never real AWS
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    async with dd0c.client("sts", region_name=REGION, endpoint_url=endpoint) as sts:
        answer = await sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/dd0c-cost-readonly",
            RoleSessionName="coverage-bench",
        )
    return dict(answer["Credentials"])


async def measure(
    endpoint: str, concurrencies: Sequence[int], regions: int | None = None
) -> list[Figure]:
    """Time one check of a fresh account per concurrency value."""
    account_id = str(random.randrange(10**11, 10**12))
    creds = await _credentials(endpoint, account_id)

    def session() -> aioboto3.Session:
        return aioboto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    chosen: list[str] | None = None
    if regions is not None:
        async with session().client("ec2", region_name=REGION, endpoint_url=endpoint) as ec2:
            listed = (await ec2.describe_regions())["Regions"]
        chosen = sorted(r["RegionName"] for r in listed)[:regions]
    figures = []
    for concurrency in concurrencies:
        started = time.perf_counter()
        report = await check_account(
            session, account_id, regions=chosen, endpoint_url=endpoint, concurrency=concurrency
        )
        elapsed = time.perf_counter() - started
        figures.append(Figure(concurrency, len(report.regions), len(report.gaps), elapsed))
    return figures


def lines(figures: Sequence[Figure]) -> list[str]:
    """The printed figures."""
    return [
        f"coverage check: {f.regions} regions ({f.gaps} without rules), "
        f"{f.concurrency} at a time: {f.seconds:.1f} s"
        for f in figures
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print one line per concurrency value."""
    parser = argparse.ArgumentParser(prog="python -m bench.coverage_bench")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--regions", type=int, default=None, help="first N regions (default all)")
    args = parser.parse_args(argv)
    with running_moto() as endpoint:
        figures = asyncio.run(measure(endpoint, args.concurrency, args.regions))
    print("\n".join(lines(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
