"""Well-formed CloudTrail records for benchmarks and pipeline tests, as CloudTrail logs them.

`tests/trails.py` re-exports them: bench never imports tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

ACCOUNT = "111122223333"
WHO = f"arn:aws:iam::{ACCOUNT}:user/alice"


def _base(name: str, event_id: str, when: datetime, account: str, region: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": WHO.replace(ACCOUNT, account),
            "accountId": account,
            "userName": "alice",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }


def _items(ids: list[str], **extra: Any) -> dict[str, Any]:
    return {"items": [{"instanceId": i, **extra} for i in ids]}


def run_instances(
    event_id: str,
    when: datetime,
    ids: list[str],
    instance_type: str = "m5.large",
    *,
    account: str = ACCOUNT,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A successful RunInstances of len(ids) instances."""
    rec = _base("RunInstances", event_id, when, account, region)
    rec["requestParameters"] = {
        "instanceType": instance_type,
        "instancesSet": {
            "items": [{"imageId": "ami-0abc", "minCount": len(ids), "maxCount": len(ids)}]
        },
    }
    rec["responseElements"] = {
        "instancesSet": _items(ids, instanceType=instance_type, instanceState={"name": "pending"})
    }
    return rec


def state_change(
    name: str, event_id: str, when: datetime, ids: list[str], *, account: str = ACCOUNT
) -> dict[str, Any]:
    """StopInstances, StartInstances or TerminateInstances of these instances."""
    rec = _base(name, event_id, when, account, "us-east-1")
    rec["requestParameters"] = {"instancesSet": _items(ids)}
    rec["responseElements"] = {"instancesSet": _items(ids)}
    return rec


def describe(event_id: str, when: datetime, *, account: str = ACCOUNT) -> dict[str, Any]:
    """A read-only call: not a cost event."""
    rec = _base("DescribeInstances", event_id, when, account, "us-east-1")
    rec["requestParameters"] = {}
    rec["responseElements"] = None
    return rec


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The record as EventBridge delivers it to a queue."""
    return {
        "version": "0",
        "id": f"eb-{record['eventID']}",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }
