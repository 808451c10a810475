"""The usage tests' AWS account (a fresh moto account through an assumed role), the faulty proxy
in front of moto, and an in-process store."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aioboto3
import pytest

from onboarding._aws import RetryPolicy
from pricing import load_catalogue
from storage import Store
from tests.stores import fresh_store
from tests.usage.faulty_aws import FaultyAws
from usage.watch import UsageReport, watch_account

CATALOGUE = load_catalogue()
IAM_PREFIX = {"monitoring": "cloudwatch"}  # signing name -> IAM action prefix
# botocore makes one attempt (max_attempts counts retries): throttling is left to the watch's
# own backoff, whose sleeps are recorded.
ONE_SHOT = RetryPolicy(max_attempts=0, backoff_tries=3, base_delay=0.5, max_delay=2.0)


@dataclass
class Account:
    """A fresh moto account reached through an assumed role."""

    account_id: str
    endpoint: str
    credentials: dict[str, str]
    operations: list[str] = field(default_factory=list)

    def session(self) -> aioboto3.Session:
        """A session with the role's credentials that records every operation it calls."""
        session = self._plain()
        session.events.register("before-call.*.*", self._record)
        return session

    def _plain(self) -> aioboto3.Session:
        return aioboto3.Session(
            aws_access_key_id=self.credentials["AccessKeyId"],
            aws_secret_access_key=self.credentials["SecretAccessKey"],
            aws_session_token=self.credentials["SessionToken"],
        )

    def _record(self, model: Any, **_: Any) -> None:
        prefix = IAM_PREFIX.get(model.service_model.signing_name, model.service_model.signing_name)
        self.operations.append(f"{prefix}:{model.name}")

    def client(self, service: str, region: str) -> Any:
        """A client for setting things up (not recorded)."""
        return self._plain().client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=self.endpoint
        )

    async def put(
        self,
        region: str,
        namespace: str,
        dim: tuple[str, str],
        metric: str,
        series: dict[datetime, float],
    ) -> None:
        """Put one datum per hour (the hour's sum) with PutMetricData."""
        data = [
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dim[0], "Value": dim[1]}],
                "Timestamp": hour + timedelta(minutes=5),
                "Value": value,
            }
            for hour, value in sorted(series.items())
        ]
        async with self.client("cloudwatch", region) as cw:
            for offset in range(0, len(data), 500):
                await cw.put_metric_data(
                    Namespace=namespace, MetricData=data[offset : offset + 500]
                )

    async def function(self, region: str, name: str, memory_mb: int) -> None:
        """A Lambda function with its configured memory (what GB-s are computed from)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
        async with self.client("iam", "us-east-1") as iam:
            role = await iam.create_role(
                RoleName=f"fn-{name}", AssumeRolePolicyDocument='{"Version": "2012-10-17"}'
            )
        async with self.client("lambda", region) as lam:
            await lam.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=role["Role"]["Arn"],
                Handler="index.handler",
                Code={"ZipFile": buffer.getvalue()},
                MemorySize=memory_mb,
            )

    async def watch(
        self, regions: list[str], endpoint: str | None = None, **options: Any
    ) -> UsageReport:
        options.setdefault("retry", ONE_SHOT)
        return await watch_account(
            self.session,
            self.account_id,
            regions,
            CATALOGUE,
            endpoint_url=endpoint or self.endpoint,
            **options,
        )


@pytest.fixture
async def account(moto_endpoint: str) -> AsyncIterator[Account]:
    account_id = str(random.randrange(10**11, 10**12))
    async with aioboto3.Session().client(
        "sts", region_name="us-east-1", endpoint_url=moto_endpoint
    ) as sts:
        answer = await sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/dd0c-cost-readonly",
            RoleSessionName="usage",
            ExternalId="dd0c-test",
        )
    yield Account(account_id, moto_endpoint, answer["Credentials"])


@pytest.fixture
async def faulty(moto_endpoint: str) -> AsyncIterator[FaultyAws]:
    proxy = FaultyAws(moto_endpoint)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    made = await fresh_store()
    try:
        yield made
    finally:
        await made.close()
