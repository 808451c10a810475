"""Non-cost calls, the bulk of real CloudTrail: reads, sign-ins, role assumptions, agents."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench.scenarios._context import Account
from bench.scenarios._ec2 import create_tags as ec2_create_tags
from bench.scenarios._identities import Actor
from bench.scenarios._ids import human_time, lower_alnum, timestamp, uuid4

Request = Callable[[Account, str], dict[str, Any] | None]
Read = tuple[str, str, Request]
_DENIED = {
    "ec2.amazonaws.com": (
        "Client.UnauthorizedOperation",
        "You are not authorized to perform "
        "this operation. User: {arn} is not authorized to perform: ec2:{name}",
    ),
}
_DEFAULT_DENIED = ("AccessDenied", "User: {arn} is not authorized to perform: {prefix}:{name}")


def _instance(acct: Account, region: str) -> str:
    boxes = [i for r, i in acct.long_lived if r == region]
    return acct.rng.choice(boxes) if boxes else "i-0" + lower_alnum(acct.rng, 16)


EC2_READS: tuple[Read, ...] = (
    ("ec2.amazonaws.com", "DescribeInstances", lambda a, r: {"instancesSet": {}, "filterSet": {}}),
    (
        "ec2.amazonaws.com",
        "DescribeInstanceStatus",
        lambda a, r: {
            "instancesSet": {"items": [{"instanceId": _instance(a, r)}]},
            "filterSet": {},
            "includeAllInstances": False,
        },
    ),
    ("ec2.amazonaws.com", "DescribeVolumes", lambda a, r: {"volumeSet": {}, "filterSet": {}}),
    (
        "ec2.amazonaws.com",
        "DescribeSecurityGroups",
        lambda a, r: {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
    ),
    ("ec2.amazonaws.com", "DescribeSubnets", lambda a, r: {"subnetSet": {}, "filterSet": {}}),
    ("ec2.amazonaws.com", "DescribeVpcs", lambda a, r: {"vpcSet": {}, "filterSet": {}}),
    (
        "ec2.amazonaws.com",
        "DescribeImages",
        lambda a, r: {
            "executableBySet": {},
            "imagesSet": {"items": [{"imageId": a.net(r).amis["linux"]}]},
            "ownersSet": {},
            "filterSet": {},
        },
    ),
    ("ec2.amazonaws.com", "DescribeKeyPairs", lambda a, r: {"keySet": {}}),
    (
        "ec2.amazonaws.com",
        "DescribeAvailabilityZones",
        lambda a, r: {"availabilityZoneSet": {}, "availabilityZoneIdSet": {}},
    ),
    (
        "ec2.amazonaws.com",
        "DescribeSnapshots",
        lambda a, r: {
            "snapshotSet": {},
            "ownersSet": {"items": [{"owner": "self"}]},
            "sharedUsersSet": {},
            "filterSet": {},
        },
    ),
)
SERVICE_READS: tuple[Read, ...] = (
    ("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", lambda a, r: None),
    ("autoscaling.amazonaws.com", "DescribeScalingActivities", lambda a, r: None),
    ("rds.amazonaws.com", "DescribeDBInstances", lambda a, r: None),
    ("lambda.amazonaws.com", "ListFunctions20150331", lambda a, r: None),
    ("monitoring.amazonaws.com", "DescribeAlarms", lambda a, r: {"maxRecords": 100}),
    (
        "monitoring.amazonaws.com",
        "GetMetricData",
        lambda a, r: {"maxDatapoints": 100800, "scanBy": "TimestampDescending"},
    ),
    ("elasticloadbalancing.amazonaws.com", "DescribeTargetGroups", lambda a, r: {"pageSize": 400}),
    ("logs.amazonaws.com", "DescribeLogGroups", lambda a, r: {"limit": 50}),
    ("eks.amazonaws.com", "ListClusters", lambda a, r: {"maxResults": 100}),
    ("s3.amazonaws.com", "ListBuckets", lambda a, r: {"Host": "s3.amazonaws.com"}),
)
GLOBAL_READS: tuple[Read, ...] = (
    ("iam.amazonaws.com", "ListRoles", lambda a, r: None),
    ("iam.amazonaws.com", "GetAccountSummary", lambda a, r: None),
    ("iam.amazonaws.com", "ListUsers", lambda a, r: None),
    ("sts.amazonaws.com", "GetCallerIdentity", lambda a, r: None),
)
ALL_READS = EC2_READS + SERVICE_READS


def read(acct: Account, actor: Actor, when: datetime, region: str, call: Read) -> None:
    """Log one read-only call; about one in fifty is denied, as in real trails."""
    source, name, request = call
    if source.startswith(("iam.", "s3.")):
        region = "us-east-1"
    error = None
    if acct.rng.random() < 0.02 and actor.kind != "AWSService":
        code, message = _DENIED.get(source, _DEFAULT_DENIED)
        prefix = source.split(".", 1)[0]
        error = (code, message.format(arn=actor.arn, name=name, prefix=prefix))
    acct.call(
        actor,
        when,
        region,
        source,
        name,
        request=request(acct, region),
        read_only=True,
        error=error,
    )


def console_login(acct: Account, actor: Actor, when: datetime) -> None:
    """Log a ConsoleLogin (an AwsConsoleSignIn event, always in us-east-1)."""
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": actor.sign_in_identity(),
        "eventTime": timestamp(when),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": actor.source_ip,
        "userAgent": actor.user_agent,
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No",
            "MFAIdentifier": f"arn:aws:iam::{acct.id}:mfa/{_mfa_device(actor)}",
            "MFAUsed": "Yes",
        },
        "eventID": uuid4(acct.rng),
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": acct.id,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "signin.aws.amazon.com",
        },
    }
    acct.emit(when, "us-east-1", record, None, actor)


def _mfa_device(actor: Actor) -> str:
    return "root-account-mfa-device" if actor.kind == "Root" else actor.name


def _credentials(acct: Account, when: datetime) -> dict[str, str]:
    token = base64.b64encode(acct.rng.randbytes(150)).decode()
    return {
        "accessKeyId": "ASIA" + lower_alnum(acct.rng, 16).upper(),
        "sessionToken": token,
        "expiration": human_time(when + timedelta(hours=1)),
    }


def assume_role(
    acct: Account, caller: Actor, when: datetime, region: str, target: Actor, *, web: bool = False
) -> None:
    """Log AssumeRole (or AssumeRoleWithWebIdentity) into `target`'s role."""
    role_arn = f"arn:aws:iam::{acct.id}:role{target.role_path}{target.name}"
    request: dict[str, Any] = {"roleArn": role_arn, "roleSessionName": target.session}
    if not web:
        request["durationSeconds"] = 3600
    response: dict[str, Any] = {
        "credentials": _credentials(acct, when),
        "assumedRoleUser": {
            "assumedRoleId": f"{target.principal_id}:{target.session}",
            "arn": target.arn,
        },
    }
    if web:
        response.update(
            subjectFromWebIdentityToken=caller.name,
            audience="sts.amazonaws.com",
            provider=f"arn:aws:iam::{acct.id}:oidc-provider/{caller.web_provider}",
        )
    resources = [{"accountId": acct.id, "type": "AWS::IAM::Role", "ARN": role_arn}]
    acct.call(
        caller,
        when,
        region,
        "sts.amazonaws.com",
        "AssumeRoleWithWebIdentity" if web else "AssumeRole",
        request=request,
        response=response,
        read_only=True,
        resources=resources,
    )


def kms_decrypt(acct: Account, actor: Actor, when: datetime, region: str, app: str) -> None:
    """Log a KMS Decrypt: a function reading its encrypted environment."""
    key = f"arn:aws:kms:{region}:{acct.id}:key/{_key_id(acct)}"
    function = f"arn:aws:lambda:{region}:{acct.id}:function:{app}"
    request = {
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "encryptionContext": {"aws:lambda:FunctionArn": function},
    }
    resources = [{"accountId": acct.id, "type": "AWS::KMS::Key", "ARN": key}]
    acct.call(
        actor,
        when,
        region,
        "kms.amazonaws.com",
        "Decrypt",
        request=request,
        read_only=True,
        resources=resources,
    )


def _key_id(acct: Account) -> str:
    return f"{acct.id[:8]}-{acct.id[8:12]}-4c1d-9e2f-{acct.id}"


def get_parameter(acct: Account, actor: Actor, when: datetime, region: str, app: str) -> None:
    """Log an SSM GetParameter with decryption."""
    request = {"name": f"/{app}/prod/database-url", "withDecryption": True}
    acct.call(
        actor, when, region, "ssm.amazonaws.com", "GetParameter", request=request, read_only=True
    )


def create_log_stream(acct: Account, actor: Actor, when: datetime, region: str, app: str) -> None:
    """Log a CloudWatch Logs CreateLogStream (a write, not a cost)."""
    stream = f"{when:%Y/%m/%d}/[$LATEST]{lower_alnum(acct.rng, 32)}"
    request = {"logGroupName": f"/aws/lambda/{app}", "logStreamName": stream}
    acct.call(actor, when, region, "logs.amazonaws.com", "CreateLogStream", request=request)


def ssm_heartbeat(acct: Account, actor: Actor, when: datetime, region: str, instance: str) -> None:
    """Log the SSM agent's UpdateInstanceInformation from an instance."""
    request = {
        "instanceId": instance,
        "agentVersion": "3.3.987.0",
        "agentStatus": "Active",
        "platformType": "Linux",
        "platformName": "Amazon Linux",
        "platformVersion": "2023",
        "agentName": "amazon-ssm-agent",
        "availabilityZone": f"{region}a",
        "sSMConnectionChannel": "ssmmessages",
    }
    acct.call(
        actor, when, region, "ssm.amazonaws.com", "UpdateInstanceInformation", request=request
    )


def ecr_pull(acct: Account, actor: Actor, when: datetime, region: str) -> None:
    """Log ECR GetAuthorizationToken, the docker login before an image pull."""
    acct.call(
        actor,
        when,
        region,
        "ecr.amazonaws.com",
        "GetAuthorizationToken",
        request={"registryIds": [acct.id]},
        read_only=True,
    )


def create_tags(acct: Account, actor: Actor, when: datetime, region: str, resource: str) -> None:
    """Log a CreateTags on a resource (owner and cost-centre tags)."""
    ec2_create_tags(
        acct, actor, when, region, resource, {"owner": actor.name, "cost-center": "eng"}
    )
