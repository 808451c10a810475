"""Compute services in CloudTrail's shape: Lambda, Auto Scaling groups, EKS node groups and
SageMaker notebooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.scenarios._context import Account
from bench.scenarios._identities import Actor
from bench.scenarios._ids import lower_alnum, uuid4
from bench.scenarios._model import Label


@dataclass(frozen=True)
class Function:
    """A Lambda function's configuration."""

    name: str
    runtime: str
    memory_mb: int
    arch: str


def create_function(
    acct: Account, actor: Actor, when: datetime, region: str, fn: Function, label: Label
) -> None:
    """Log CreateFunction20150331."""
    role = f"arn:aws:iam::{acct.id}:role/{fn.name}-exec"
    request = {
        "functionName": fn.name,
        "runtime": fn.runtime,
        "role": role,
        "handler": "app.handler",
        "code": {},
        "timeout": 30,
        "memorySize": fn.memory_mb,
        "publish": True,
        "packageType": "Zip",
        "architectures": [fn.arch],
        "ephemeralStorage": {"size": 512},
    }
    response = {
        "functionName": fn.name,
        "functionArn": f"arn:aws:lambda:{region}:{acct.id}:function:{fn.name}",
        "runtime": fn.runtime,
        "role": role,
        "handler": "app.handler",
        "codeSize": acct.rng.randint(4_000, 9_000_000),
        "description": "",
        "timeout": 30,
        "memorySize": fn.memory_mb,
        "lastModified": when.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "codeSha256": lower_alnum(acct.rng, 43),
        "version": "1",
        "tracingConfig": {"mode": "PassThrough"},
        "revisionId": uuid4(acct.rng),
        "state": "Pending",
        "stateReason": "The function is being created.",
        "stateReasonCode": "Creating",
        "packageType": "Zip",
        "architectures": [fn.arch],
        "ephemeralStorage": {"size": 512},
        "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
    }
    acct.call(
        actor,
        when,
        region,
        "lambda.amazonaws.com",
        "CreateFunction20150331",
        request=request,
        response=response,
        label=label,
    )


def update_function_memory(
    acct: Account, actor: Actor, when: datetime, region: str, fn: Function, label: Label
) -> None:
    """Log UpdateFunctionConfiguration20150331v2 changing the memory size."""
    request = {"functionName": fn.name, "memorySize": fn.memory_mb}
    response = {
        "functionName": fn.name,
        "functionArn": f"arn:aws:lambda:{region}:{acct.id}:function:{fn.name}",
        "runtime": fn.runtime,
        "memorySize": fn.memory_mb,
        "lastModified": when.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "version": "$LATEST",
        "state": "Active",
        "lastUpdateStatus": "InProgress",
        "architectures": [fn.arch],
    }
    acct.call(
        actor,
        when,
        region,
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        request=request,
        response=response,
        label=label,
    )


def put_provisioned_concurrency(
    acct: Account, actor: Actor, when: datetime, region: str, fn: str, count: int, label: Label
) -> None:
    """Log PutProvisionedConcurrencyConfig on the function's `live` alias."""
    request = {"functionName": fn, "qualifier": "live", "provisionedConcurrentExecutions": count}
    response = {
        "requestedProvisionedConcurrentExecutions": count,
        "allocatedProvisionedConcurrentExecutions": 0,
        "status": "IN_PROGRESS",
        "lastModified": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }
    acct.call(
        actor,
        when,
        region,
        "lambda.amazonaws.com",
        "PutProvisionedConcurrencyConfig",
        request=request,
        response=response,
        label=label,
    )


@dataclass(frozen=True)
class Group:
    """An Auto Scaling group: its template, type and size limits."""

    name: str
    instance_type: str
    min_size: int
    max_size: int
    mixed: bool


def create_auto_scaling_group(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    group: Group,
    desired: int,
    label: Label,
) -> None:
    """Log CreateAutoScalingGroup (a plain launch template, or a mixed-instances policy)."""
    template = {"launchTemplateId": acct.template(region, group.name), "version": "$Latest"}
    subnets = ",".join(s.id for s in acct.net(region).subnets)
    request: dict[str, Any] = {"autoScalingGroupName": group.name}
    if group.mixed:
        request["mixedInstancesPolicy"] = {
            "launchTemplate": {
                "launchTemplateSpecification": template,
                "overrides": [{"instanceType": group.instance_type}],
            },
            "instancesDistribution": {
                "onDemandBaseCapacity": group.min_size,
                "onDemandPercentageAboveBaseCapacity": 100,
            },
        }
    else:
        request["launchTemplate"] = template
    request.update(
        minSize=group.min_size,
        maxSize=group.max_size,
        desiredCapacity=desired,
        vPCZoneIdentifier=subnets,
        healthCheckType="ELB",
        healthCheckGracePeriod=300,
    )
    acct.call(
        actor,
        when,
        region,
        "autoscaling.amazonaws.com",
        "CreateAutoScalingGroup",
        request=request,
        label=label,
    )


def update_auto_scaling_group(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    group: Group,
    desired: int,
    label: Label,
) -> None:
    """Log UpdateAutoScalingGroup setting a new desired capacity."""
    request = {"autoScalingGroupName": group.name, "desiredCapacity": desired}
    if desired > group.max_size:
        request["maxSize"] = desired
    acct.call(
        actor,
        when,
        region,
        "autoscaling.amazonaws.com",
        "UpdateAutoScalingGroup",
        request=request,
        label=label,
    )


def create_nodegroup(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    name: str,
    instance_type: str,
    desired: int,
    label: Label,
) -> None:
    """Log EKS CreateNodegroup (managed node group, on-demand)."""
    subnets = [s.id for s in acct.net(region).subnets]
    scaling = {"minSize": 1, "maxSize": max(desired * 2, 4), "desiredSize": desired}
    node_role = f"arn:aws:iam::{acct.id}:role/eks-node-role"
    request = {
        "clusterName": "platform",
        "nodegroupName": name,
        "scalingConfig": scaling,
        "subnets": subnets,
        "instanceTypes": [instance_type],
        "amiType": "AL2023_x86_64_NVIDIA"
        if instance_type.startswith("g")
        else "AL2023_x86_64_STANDARD",
        "nodeRole": node_role,
        "capacityType": "ON_DEMAND",
        "diskSize": 50,
        "clientRequestToken": uuid4(acct.rng),
    }
    response = {
        "nodegroup": {
            "nodegroupName": name,
            "nodegroupArn": f"arn:aws:eks:{region}:{acct.id}:nodegroup/platform/{name}/"
            f"{uuid4(acct.rng)}",
            "clusterName": "platform",
            "version": "1.31",
            "releaseVersion": "1.31.0-20241024",
            "createdAt": when.timestamp(),
            "status": "CREATING",
            "capacityType": "ON_DEMAND",
            "scalingConfig": scaling,
            "instanceTypes": [instance_type],
            "subnets": subnets,
            "amiType": request["amiType"],
            "nodeRole": node_role,
            "diskSize": 50,
            "health": {"issues": []},
            "updateConfig": {"maxUnavailable": 1},
            "tags": {},
        }
    }
    acct.call(
        actor,
        when,
        region,
        "eks.amazonaws.com",
        "CreateNodegroup",
        request=request,
        response=response,
        label=label,
    )


def create_notebook_instance(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    name: str,
    instance_type: str,
    label: Label,
) -> None:
    """Log SageMaker CreateNotebookInstance."""
    request = {
        "notebookInstanceName": name,
        "instanceType": instance_type,
        "roleArn": f"arn:aws:iam::{acct.id}:role/service-role/"
        f"AmazonSageMaker-ExecutionRole-{acct.start:%Y%m%dT%H%M%S}",
        "volumeSizeInGB": 50,
        "directInternetAccess": "Enabled",
        "rootAccess": "Enabled",
        "platformIdentifier": "notebook-al2-v3",
    }
    arn = f"arn:aws:sagemaker:{region}:{acct.id}:notebook-instance/{name}"
    acct.call(
        actor,
        when,
        region,
        "sagemaker.amazonaws.com",
        "CreateNotebookInstance",
        request=request,
        response={"notebookInstanceArn": arn},
        label=label,
    )
