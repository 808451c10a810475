"""ECS on Fargate: task definitions remembered, services and tasks priced per vCPU and GB-hour.

Family `containers` (a feature flag may switch the whole family off). RegisterTaskDefinition is a
`configure` event: the inventory keeps its CPU, memory, architecture and ephemeral storage as
the size "1vCPU-2GB" (plus "-50GiB" above the free 20 GiB), by family:revision and
family (the newest revision). CreateService / UpdateService / RunTask name the definition (or,
for UpdateService, only the service) and are priced from it. The EC2 launch type is billed
through the instances it runs on, which are priced when they launch.
"""

from __future__ import annotations

import re
from typing import Any

from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, dig, get_int, get_list, get_str

FAMILY = "containers"

TASK_DEFINITION = "ecs:task-definition"
SERVICE = "ecs:service"
TASK = "ecs:task"
_EC2_ONLY = "EC2 launch type: billed through the cluster's instances, priced when they launch"
_SIZE = re.compile(r"^(?P<vcpu>[\d.]+)vCPU-(?P<gb>[\d.]+)GB(?:-(?P<gib>\d+)GiB)?$")
_CPU_UNITS = re.compile(r"^\s*(?P<n>[\d.]+)\s*(?P<vcpu>vcpu)?\s*$", re.IGNORECASE)
_MEMORY = re.compile(r"^\s*(?P<n>[\d.]+)\s*(?P<gb>gb)?\s*$", re.IGNORECASE)


def _vcpu(value: str | None) -> float | None:
    match = _CPU_UNITS.match(value or "")
    if match is None:
        return None
    number = float(match["n"])
    return number if match["vcpu"] else number / 1024


def _memory_gb(value: str | None) -> float | None:
    match = _MEMORY.match(value or "")
    if match is None:
        return None
    number = float(match["n"])
    return number if match["gb"] else number / 1024


def task_size(vcpu: float, memory_gb: float, ephemeral_gib: int = 0) -> str:
    """The size string a Fargate task is remembered and shown by: "0.25vCPU-0.5GB"."""
    size = f"{vcpu:g}vCPU-{memory_gb:g}GB"
    return f"{size}-{ephemeral_gib}GiB" if ephemeral_gib > 20 else size


def parse_task_size(size: str) -> tuple[float, float, int] | None:
    """(vCPU, memory GB, ephemeral GiB) of a size made by `task_size`, or None."""
    match = _SIZE.match(size)
    if match is None:
        return None
    return float(match["vcpu"]), float(match["gb"]), int(match["gib"] or 0)


def definition_ids(reference: str | None) -> tuple[str, ...]:
    """The ids a task definition reference can be looked up by: family:rev or family."""
    if not reference:
        return ()
    name = reference.rsplit("task-definition/", 1)[-1]
    return ids(name)


def _arch(request: Any) -> str:
    arch = (get_str(request, "runtimePlatform", "cpuArchitecture") or "X86_64").lower()
    return "arm64" if arch == "arm64" else "x86_64"


def register_task_definition(rec: CloudTrailRecord) -> Draft | NotCost:
    """ECS RegisterTaskDefinition: remembered for its Fargate CPU, memory and architecture."""
    request = rec.request
    vcpu, memory = _vcpu(get_str(request, "cpu")), _memory_gb(get_str(request, "memory"))
    if vcpu is None or memory is None:
        return NotCost("task definition without task-level CPU and memory (EC2 launch type)")
    compat = [str(c).upper() for c in get_list(request, "requiresCompatibilities")]
    definition = dig(rec.response, "taskDefinition")
    family = get_str(definition, "family") or get_str(request, "family")
    revision = get_int(definition, "revision")
    storage = get_int(request, "ephemeralStorage", "sizeInGiB") or 0
    return Draft(
        action="configure",
        service="ecs",
        resource_type=TASK_DEFINITION,
        resource_ids=ids(
            f"{family}:{revision}" if family and revision is not None else None, family
        ),
        size=task_size(vcpu, memory, storage),
        os="fargate" if "FARGATE" in compat or not compat else "ec2",
        details={"architecture": _arch(request)},
    )


def _launch(request: Any) -> str | None:
    """ "fargate", "fargate-spot", "ec2" or None (the cluster's default strategy)."""
    launch = get_str(request, "launchType")
    if launch:
        return "fargate" if launch.upper() == "FARGATE" else "ec2"
    providers = [
        get_str(p, "capacityProvider") or "" for p in get_list(request, "capacityProviderStrategy")
    ]
    if not providers:
        return None
    if all(p.upper() == "FARGATE_SPOT" for p in providers):
        return "fargate-spot"
    return "fargate" if any(p.upper().startswith("FARGATE") for p in providers) else "ec2"


def _service_name(value: str | None) -> str | None:
    return value.rsplit("/", 1)[-1] if value else None


def _tasks(
    action: str,
    resource_type: str,
    request: Any,
    resource_ids: tuple[str, ...],
    quantity: int,
    details: dict[str, Any],
) -> Draft | NotCost:
    launch = _launch(request)
    if launch == "ec2":
        return NotCost(_EC2_ONLY)
    definition = get_str(request, "taskDefinition")
    return Draft(
        action="launch" if action == "launch" else "modify",
        service="ecs",
        resource_type=resource_type,
        resource_ids=resource_ids,
        quantity=quantity,
        model="spot" if launch == "fargate-spot" else "on-demand",
        details={
            **details,
            "taskDefinition": definition_ids(definition)[0] if definition else None,
            "launchType": launch,
            "cluster": _service_name(get_str(request, "cluster")),
        },
        note="task definition not seen before: its CPU and memory are unknown",
    )


def create_service(rec: CloudTrailRecord) -> Draft | NotCost:
    """ECS CreateService: desiredCount tasks of its task definition, kept running."""
    request = rec.request
    name = get_str(rec.response, "service", "serviceName") or get_str(request, "serviceName")
    count = get_int(request, "desiredCount")
    return _tasks("launch", SERVICE, request, ids(name), 1 if count is None else count, {})


def update_service(rec: CloudTrailRecord) -> Draft | NotCost:
    """ECS UpdateService: a new desired count or task definition for a running service."""
    request = rec.request
    count = get_int(request, "desiredCount")
    if count is None and get_str(request, "taskDefinition") is None:
        return NotCost("UpdateService without a desired count or task definition change")
    name = _service_name(get_str(request, "service"))
    details: dict[str, Any] = {} if count is not None else {"countUnchanged": True}
    return _tasks("modify", SERVICE, request, ids(name), count or 0, details)


def run_task(rec: CloudTrailRecord) -> Draft | NotCost:
    """ECS RunTask: count tasks of a task definition, billed until they stop."""
    request = rec.request
    arns = [get_str(t, "taskArn") for t in get_list(rec.response, "tasks")]
    count = get_int(request, "count") or len(arns) or 1
    return _tasks("launch", TASK, request, ids(*arns), count, {})


PARSERS: dict[tuple[str, str], Parser] = {
    ("ecs.amazonaws.com", "RegisterTaskDefinition"): register_task_definition,
    ("ecs.amazonaws.com", "CreateService"): create_service,
    ("ecs.amazonaws.com", "UpdateService"): update_service,
    ("ecs.amazonaws.com", "RunTask"): run_task,
}
