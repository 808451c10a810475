"""Lambda (only provisioned concurrency has an hourly cost) and Auto Scaling groups."""

from __future__ import annotations

from engine.models import Action
from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, dig, get_int, get_list, get_str

USAGE_BILLED = "billed per request and GB-second: no standing hourly cost"


def _arch(rec: CloudTrailRecord) -> str | None:
    arches = get_list(rec.request, "architectures") or get_list(rec.response, "architectures")
    return str(arches[0]) if arches else None


def _function(rec: CloudTrailRecord, action: Action) -> Draft:
    name = get_str(rec.response, "functionName") or get_str(rec.request, "functionName")
    memory = get_int(rec.request, "memorySize") or get_int(rec.response, "memorySize")
    return Draft(
        action=action,
        service="lambda",
        resource_type="lambda:function",
        resource_ids=ids(name),
        details={"memoryMb": memory, "architecture": _arch(rec)},
        note=USAGE_BILLED,
    )


def create_function(rec: CloudTrailRecord) -> Draft:
    """CreateFunction: usage-billed; remembered for its memory size."""
    return _function(rec, "launch")


def update_function_configuration(rec: CloudTrailRecord) -> Draft:
    """UpdateFunctionConfiguration: usage-billed; may change memory size."""
    return _function(rec, "modify")


def put_provisioned_concurrency(rec: CloudTrailRecord) -> Draft:
    """PutProvisionedConcurrencyConfig: concurrency x memory x the provisioned GB-second rate."""
    name = get_str(rec.request, "functionName")
    qualifier = get_str(rec.request, "qualifier")
    count = get_int(rec.request, "provisionedConcurrentExecutions") or get_int(
        rec.response, "requestedProvisionedConcurrentExecutions"
    )
    return Draft(
        action="launch",
        service="lambda",
        resource_type="lambda:provisioned-concurrency",
        resource_ids=ids(f"{name}:{qualifier}" if name and qualifier else name),
        quantity=count or 1,
        details={"functionName": name, "qualifier": qualifier},
    )


def _group_type(rec: CloudTrailRecord) -> str | None:
    policy = dig(rec.request, "mixedInstancesPolicy", "launchTemplate")
    for override in get_list(policy, "overrides"):
        size = get_str(override, "instanceType")
        if size:
            return size
    return None


def _group(rec: CloudTrailRecord, action: Action) -> Draft:
    desired = get_int(rec.request, "desiredCapacity")
    quantity = desired if desired is not None else get_int(rec.request, "minSize")
    spec = dig(
        rec.request, "mixedInstancesPolicy", "launchTemplate", "launchTemplateSpecification"
    ) or dig(rec.request, "launchTemplate")
    template = get_str(spec, "launchTemplateName") or get_str(spec, "launchTemplateId")
    return Draft(
        action=action,
        service="autoscaling",
        resource_type="autoscaling:group",
        resource_ids=ids(get_str(rec.request, "autoScalingGroupName")),
        size=_group_type(rec),
        quantity=quantity if quantity is not None else 0,
        details={
            "launchTemplate": template,
            "launchConfiguration": get_str(rec.request, "launchConfigurationName"),
            "minSize": get_int(rec.request, "minSize"),
            "maxSize": get_int(rec.request, "maxSize"),
        },
    )


def create_auto_scaling_group(rec: CloudTrailRecord) -> Draft:
    """CreateAutoScalingGroup: desired capacity (else min size) x the instance type."""
    return _group(rec, "launch")


def update_auto_scaling_group(rec: CloudTrailRecord) -> Draft | NotCost:
    """UpdateAutoScalingGroup: a new desired capacity or min size changes the bill."""
    request = rec.request or {}
    if "desiredCapacity" not in request and "minSize" not in request:
        return NotCost("UpdateAutoScalingGroup without a capacity change")
    return _group(rec, "modify")


PARSERS: dict[tuple[str, str], Parser] = {
    ("lambda.amazonaws.com", "CreateFunction20150331"): create_function,
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"): (
        update_function_configuration
    ),
    ("lambda.amazonaws.com", "CreateFunction"): create_function,
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration"): update_function_configuration,
    ("lambda.amazonaws.com", "PutProvisionedConcurrencyConfig"): put_provisioned_concurrency,
    ("autoscaling.amazonaws.com", "CreateAutoScalingGroup"): create_auto_scaling_group,
    ("autoscaling.amazonaws.com", "UpdateAutoScalingGroup"): update_auto_scaling_group,
}

__all__ = ["PARSERS", "NotCost"]
