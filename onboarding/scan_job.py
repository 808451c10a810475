"""Run the zombie scan for a connected account with its assumed role (on connection and weekly)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aioboto3

from onboarding._aws import HOME_REGION
from onboarding.zombies import ScanReport, scan_account
from pricing import Catalogue

logger = logging.getLogger(__name__)

SESSION_NAME = "dd0c-cost-zombie-scan"


def assumed_session_factory(
    role_arn: str,
    external_id: str,
    *,
    endpoint_url: str | None = None,
    session_name: str = SESSION_NAME,
) -> Callable[[], Awaitable[aioboto3.Session]]:
    """A factory of sessions acting as the customer's read-only role (AssumeRole + ExternalId)."""

    async def make() -> aioboto3.Session:
        client: Any = aioboto3.Session().client
        async with client("sts", region_name=HOME_REGION, endpoint_url=endpoint_url) as sts:
            answer = await sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=session_name,
                ExternalId=external_id,
                DurationSeconds=3600,
            )
        creds = answer["Credentials"]
        return aioboto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=HOME_REGION,
        )

    return make


async def scan_connected_account(
    account_id: str,
    role_arn: str,
    external_id: str,
    catalogue: Catalogue,
    now: datetime,
    *,
    endpoint_url: str | None = None,
    regions: list[str] | None = None,
) -> ScanReport:
    """The account's zombie report (failures per region are inside the report)."""
    factory = assumed_session_factory(role_arn, external_id, endpoint_url=endpoint_url)
    return await scan_account(
        factory, account_id, regions, catalogue, now=now, endpoint_url=endpoint_url
    )
