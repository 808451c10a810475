"""Configurations that run nothing themselves but say what a later call will run.

A SageMaker CreateEndpoint names only its endpoint configuration, and an Auto Scaling group on a
launch template names only the template: the inventory remembers these (`configure` events) so
the endpoint or group can be priced when it is created.
"""

from __future__ import annotations

from typing import Any

from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, dig, get_int, get_list, get_str


def _variants(request: Any) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for variant in get_list(request, "productionVariants"):
        size = get_str(variant, "instanceType")
        if size:
            count = get_int(variant, "initialInstanceCount")
            found.append((size, count if count is not None else 1))
    return found


def endpoint_config(rec: CloudTrailRecord) -> Draft | NotCost:
    """SageMaker CreateEndpointConfig: the instance type and count of its production variants."""
    variants = _variants(rec.request)
    if not variants:
        return NotCost("CreateEndpointConfig without instance-based variants (serverless)")
    size = variants[0][0]
    same = [count for vtype, count in variants if vtype == size]
    note = None
    if len(same) < len(variants):
        note = f"{len(variants) - len(same)} variant(s) of other types not counted"
    return Draft(
        action="configure",
        service="sagemaker",
        resource_type="sagemaker:endpoint-config",
        resource_ids=ids(get_str(rec.request, "endpointConfigName")),
        size=size,
        quantity=sum(same),
        groups=tuple(variants),
        note=note,
    )


def _template_request(rec: CloudTrailRecord, wrapper: str) -> Any:
    return dig(rec.request, wrapper) or rec.request


def _template_type(request: Any, response: Any) -> str | None:
    return (
        get_str(request, "LaunchTemplateData", "InstanceType")
        or get_str(request, "launchTemplateData", "instanceType")
        or get_str(response, "launchTemplateData", "instanceType")
    )


def _template(rec: CloudTrailRecord, name: str, result: str) -> Draft | NotCost:
    request = _template_request(rec, f"{name}Request")
    response = dig(rec.response, f"{name}Response", result) or dig(rec.response, result)
    size = _template_type(request, response)
    if not size:
        return NotCost(f"{name} without an instance type")
    return Draft(
        action="configure",
        service="ec2",
        resource_type="ec2:launch-template",
        resource_ids=ids(
            get_str(response, "launchTemplateId"),
            get_str(response, "launchTemplateName"),
            get_str(request, "LaunchTemplateId") or get_str(request, "launchTemplateId"),
            get_str(request, "LaunchTemplateName") or get_str(request, "launchTemplateName"),
        ),
        size=size,
    )


def launch_template(rec: CloudTrailRecord) -> Draft | NotCost:
    """EC2 CreateLaunchTemplate: remembered for its instance type (by id and by name)."""
    return _template(rec, "CreateLaunchTemplate", "launchTemplate")


def launch_template_version(rec: CloudTrailRecord) -> Draft | NotCost:
    """EC2 CreateLaunchTemplateVersion: the newest version's instance type is remembered."""
    return _template(rec, "CreateLaunchTemplateVersion", "launchTemplateVersion")


PARSERS: dict[tuple[str, str], Parser] = {
    ("sagemaker.amazonaws.com", "CreateEndpointConfig"): endpoint_config,
    ("ec2.amazonaws.com", "CreateLaunchTemplate"): launch_template,
    ("ec2.amazonaws.com", "CreateLaunchTemplateVersion"): launch_template_version,
}
