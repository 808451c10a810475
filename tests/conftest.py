"""Fixtures for every test: a fake AWS environment and moto's SQS server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import aioboto3
import pytest

from tests.aws import REGION, running_moto, sqs_client

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Anything that could point a test at real AWS or at someone's own credentials.
REAL_AWS_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ROLE_ARN")


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, so no test can reach real AWS."""
    for name in REAL_AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server for the whole session; a failure to start fails the tests (no skip)."""
    with running_moto() as endpoint:
        yield endpoint


@pytest.fixture
async def sqs(moto_endpoint: str) -> AsyncIterator[SQSClient]:
    """An aioboto3 SQS client bound to moto's server."""
    async with sqs_client(aioboto3.Session(), moto_endpoint) as client:
        yield client
