"""Capacity paid for whether used or not: capacity reservations, dedicated hosts, Bedrock
provisioned throughput, SageMaker training jobs.

Family `capacity` (a feature flag may switch the whole family off).
"""

from __future__ import annotations

from typing import Any

from engine.models import Commitment
from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, dig, get_int, get_list, get_str, items

FAMILY = "capacity"

_PLATFORMS = {"linux/unix": "linux", "windows": "windows"}
_TERMS = {"onemonth": ("1-month", 730), "sixmonths": ("6-month", 6 * 730)}


def _platform(value: str | None) -> tuple[str, str | None]:
    if value is None:
        return "linux", "platform not in the event: priced as Linux"
    os = _PLATFORMS.get(value.lower())
    if os is None:
        return "linux", f"{value}: priced at the Linux rate (a lower bound)"
    return os, None


def _wrapped(rec: CloudTrailRecord, name: str) -> tuple[Any, Any]:
    request = dig(rec.request, f"{name}Request") or rec.request
    response = dig(rec.response, f"{name}Response") or rec.response
    return request, response


def capacity_reservation(rec: CloudTrailRecord) -> Draft:
    """EC2 CreateCapacityReservation: count x instance type, billed whether instances run or not."""
    request, response = _wrapped(rec, "CreateCapacityReservation")
    reservation = dig(response, "capacityReservation")
    size = get_str(reservation, "instanceType") or get_str(request, "InstanceType")
    count = get_int(reservation, "totalInstanceCount") or get_int(request, "InstanceCount") or 1
    os, note = _platform(
        get_str(reservation, "instancePlatform") or get_str(request, "InstancePlatform")
    )
    tenancy = get_str(request, "Tenancy") or get_str(reservation, "tenancy") or "default"
    if tenancy != "default":
        note = "dedicated tenancy: priced at the shared-tenancy rate (a lower bound)"
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:capacity-reservation",
        resource_ids=ids(get_str(reservation, "capacityReservationId")),
        size=size,
        quantity=count,
        os=os,
        details={"endDateType": get_str(request, "EndDateType")},
        note=note,
    )


def _fleet_specs(request: Any) -> list[Any]:
    specs = get_list(request, "InstanceTypeSpecification") or items(
        request, "instanceTypeSpecificationSet"
    )
    return sorted(specs, key=lambda s: get_int(s, "Priority") or 0)


def capacity_reservation_fleet(rec: CloudTrailRecord) -> Draft | NotCost:
    """EC2 CreateCapacityReservationFleet: target capacity x the first-priority instance type."""
    request, response = _wrapped(rec, "CreateCapacityReservationFleet")
    specs = _fleet_specs(request)
    size = get_str(specs[0], "InstanceType") if specs else None
    weight = (get_int(specs[0], "Weight") or 1) if specs else 1
    target = get_int(request, "TotalTargetCapacity") or get_int(response, "totalTargetCapacity")
    if target is None:
        return NotCost("CreateCapacityReservationFleet without a target capacity")
    os, note = _platform(get_str(specs[0], "InstancePlatform") if specs else None)
    mixed = len({get_str(s, "InstanceType") for s in specs}) > 1
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:capacity-reservation",
        resource_ids=ids(get_str(response, "capacityReservationFleetId")),
        size=size,
        quantity=max(target // max(weight, 1), 1),
        os=os,
        note=("priced as its first-priority instance type" if mixed else note)
        if size
        else "instance type not in the event",
    )


def allocate_hosts(rec: CloudTrailRecord) -> Draft:
    """EC2 AllocateHosts: dedicated hosts, billed per host-hour from allocation."""
    request, response = _wrapped(rec, "AllocateHosts")
    size = (
        get_str(request, "InstanceType")
        or get_str(request, "instanceType")
        or get_str(request, "InstanceFamily")
        or get_str(request, "instanceFamily")
    )
    hosts = [str(h) for h in items(response, "hostIdSet")]
    quantity = get_int(request, "Quantity") or get_int(request, "quantity") or len(hosts) or 1
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:dedicated-host",
        resource_ids=ids(*hosts),
        size=size,
        quantity=quantity,
        note="Dedicated Host rates are not in the price data",
    )


def provisioned_throughput(rec: CloudTrailRecord) -> Draft | NotCost:
    """Bedrock CreateProvisionedModelThroughput: model units x the hourly rate for the term."""
    units = get_int(rec.request, "modelUnits")
    model = get_str(rec.request, "modelId")
    if units is None or model is None:
        return NotCost("CreateProvisionedModelThroughput without model units or a model")
    duration = get_str(rec.request, "commitmentDuration")
    term, hours = _TERMS.get((duration or "").lower(), ("none", 0))
    commitment = None
    if hours:
        commitment = Commitment(
            kind="bedrock-provisioned-throughput",
            term_hours=hours,
            count=units,
            note=f"{term} term; the total needs the model's rate",
        )
    return Draft(
        action="launch",
        service="bedrock",
        resource_type="bedrock:provisioned-throughput",
        resource_ids=ids(
            get_str(rec.response, "provisionedModelArn")
            or get_str(rec.request, "provisionedModelName")
        ),
        size=model.rsplit("/", 1)[-1],
        quantity=units,
        details={"commitment": term, "modelId": model},
        commitment=commitment,
    )


def _hours(rec: CloudTrailRecord) -> int | None:
    seconds = get_int(rec.request, "stoppingCondition", "maxRuntimeInSeconds")
    return None if seconds is None else -(-seconds // 3600)


def training_job(rec: CloudTrailRecord) -> Draft | NotCost:
    """SageMaker CreateTrainingJob: instance type x count while it runs."""
    config = dig(rec.request, "resourceConfig")
    size = get_str(config, "instanceType")
    if size is None:
        return NotCost("CreateTrainingJob without an instance type (instance groups or pools)")
    return Draft(
        action="launch",
        service="sagemaker",
        resource_type="sagemaker:training-job",
        resource_ids=ids(get_str(rec.request, "trainingJobName")),
        size=size,
        quantity=get_int(config, "instanceCount") or 1,
        details={"maxRuntimeHours": _hours(rec)},
        note="billed while the job runs, up to its stopping condition",
    )


PARSERS: dict[tuple[str, str], Parser] = {
    ("ec2.amazonaws.com", "CreateCapacityReservation"): capacity_reservation,
    ("ec2.amazonaws.com", "CreateCapacityReservationFleet"): capacity_reservation_fleet,
    ("ec2.amazonaws.com", "AllocateHosts"): allocate_hosts,
    ("bedrock.amazonaws.com", "CreateProvisionedModelThroughput"): provisioned_throughput,
    ("sagemaker.amazonaws.com", "CreateTrainingJob"): training_job,
}
