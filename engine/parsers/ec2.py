"""EC2: instances, volumes, NAT gateways, Elastic IPs, Spot requests and fleets."""

from __future__ import annotations

from typing import Any

from engine.errors import NormalizeError
from engine.models import Action, PricingModel, Volume
from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, dig, get_int, get_list, get_str, items

INSTANCE = "ec2:instance"


def _instance_items(rec: CloudTrailRecord) -> list[Any]:
    return items(rec.response, "instancesSet")


def _item_ids(entries: list[Any]) -> tuple[str, ...]:
    return ids(*[e.get("instanceId") if isinstance(e, dict) else None for e in entries])


def _market(rec: CloudTrailRecord, entries: list[Any]) -> PricingModel:
    market = get_str(rec.request, "instanceMarketOptions", "marketType")
    if (market or "").lower() == "spot":
        return "spot"
    if any(dig(e, "instanceLifecycle") == "spot" for e in entries):
        return "spot"
    return "on-demand"


def _os(entries: list[Any]) -> str:
    platforms = {str(dig(e, "platform") or "").lower() for e in entries}
    return "windows" if "windows" in platforms else "linux"


def _volumes(rec: CloudTrailRecord) -> tuple[tuple[Volume, ...], int]:
    """EBS volumes in the block-device mappings, and how many had no size (size from the AMI)."""
    volumes: list[Volume] = []
    unsized = 0
    for mapping in items(rec.request, "blockDeviceMapping"):
        if dig(mapping, "ebs") is None:
            continue
        size = get_int(mapping, "ebs", "volumeSize")
        if size is None:
            unsized += 1
            continue
        vtype = get_str(mapping, "ebs", "volumeType") or "gp2"
        volumes.append(Volume(volume_type=vtype, size_gib=size))
    return tuple(volumes), unsized


def _run_instances_size(rec: CloudTrailRecord, entries: list[Any]) -> str | None:
    """The request's type; the response's when the request has none or logs it as an object."""
    requested = dig(rec.request, "instanceType")
    if isinstance(requested, str) and requested:
        return requested
    types = {t for e in entries if isinstance(t := dig(e, "instanceType"), str) and t}
    if types:
        return sorted(types)[0]
    if isinstance(requested, dict):
        return get_str(requested, "value")
    return get_str(rec.request, "instanceType")


def run_instances(rec: CloudTrailRecord) -> Draft:
    """RunInstances: quantity and type from the response, spot and Windows from the items."""
    entries = _instance_items(rec)
    note = None
    quantity = len(entries)
    if not entries:
        quantity = get_int(rec.request, "instancesSet", "items", 0, "minCount") or 1
        note = "responseElements missing: quantity is the requested minimum count"
    volumes, unsized = _volumes(rec)
    if unsized:
        extra = f"{unsized} volume(s) sized by the AMI are not priced"
        note = f"{note}; {extra}" if note else extra
    details: dict[str, str | int | float | bool | None] = {}
    template = get_str(rec.request, "launchTemplate", "launchTemplateId") or get_str(
        rec.request, "launchTemplate", "launchTemplateName"
    )
    if template:
        details["launchTemplate"] = template
    return Draft(
        action="launch",
        service="ec2",
        resource_type=INSTANCE,
        resource_ids=_item_ids(entries),
        size=_run_instances_size(rec, entries),
        quantity=quantity,
        model=_market(rec, entries),
        os=_os(entries),
        volumes=volumes,
        details=details,
        note=note,
    )


def _state_change(action: Action) -> Parser:
    def parse(rec: CloudTrailRecord) -> Draft:
        entries = _instance_items(rec) or items(rec.request, "instancesSet")
        found = _item_ids(entries)
        return Draft(
            action=action,
            service="ec2",
            resource_type=INSTANCE,
            resource_ids=found,
            quantity=max(len(found), 1),
            os="linux",
        )

    parse.__doc__ = f"Instances that {action}."
    return parse


start_instances = _state_change("start")
stop_instances = _state_change("stop")
terminate_instances = _state_change("terminate")


def modify_instance_attribute(rec: CloudTrailRecord) -> Draft | NotCost:
    """ModifyInstanceAttribute: only an instance-type change costs (or saves) money."""
    new_type = get_str(rec.request, "instanceType", "value") or get_str(rec.request, "instanceType")
    if not new_type:
        return NotCost("ModifyInstanceAttribute without an instance type change")
    return Draft(
        action="modify",
        service="ec2",
        resource_type=INSTANCE,
        resource_ids=ids(get_str(rec.request, "instanceId")),
        size=new_type,
        os="linux",
    )


def create_volume(rec: CloudTrailRecord) -> Draft:
    """CreateVolume: GiB x the volume type's GB-month rate."""
    vtype = get_str(rec.response, "volumeType") or get_str(rec.request, "volumeType") or "gp2"
    size = get_int(rec.response, "size") or get_int(rec.request, "size")
    volumes = (Volume(volume_type=vtype, size_gib=size),) if size else ()
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:volume",
        resource_ids=ids(get_str(rec.response, "volumeId")),
        size=vtype,
        volumes=volumes,
        note=None if size else "volume size not in the event (taken from the snapshot)",
    )


def create_nat_gateway(rec: CloudTrailRecord) -> Draft:
    """CreateNatGateway: the gateway's hourly charge (data processing is extra)."""
    gateway = dig(rec.response, "CreateNatGatewayResponse", "natGateway") or dig(
        rec.response, "natGateway"
    )
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:natgateway",
        resource_ids=ids(get_str(gateway, "natGatewayId")),
        details={"connectivityType": get_str(gateway, "connectivityType")},
    )


def allocate_address(rec: CloudTrailRecord) -> Draft:
    """AllocateAddress: a public IPv4 address, charged by the hour since Feb 2024."""
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:elastic-ip",
        resource_ids=ids(get_str(rec.response, "allocationId"), get_str(rec.response, "publicIp")),
    )


def request_spot_instances(rec: CloudTrailRecord) -> Draft:
    """RequestSpotInstances: instanceCount x the launch specification's type, as Spot."""
    requests = items(rec.response, "spotInstanceRequestSet")
    size = get_str(rec.request, "launchSpecification", "instanceType") or get_str(
        requests[0] if requests else None, "launchSpecification", "instanceType"
    )
    return Draft(
        action="launch",
        service="ec2",
        resource_type=INSTANCE,
        resource_ids=ids(*(dig(r, "spotInstanceRequestId") for r in requests)),
        size=size,
        quantity=get_int(rec.request, "instanceCount") or max(len(requests), 1),
        model="spot",
        os="linux",
    )


def _fleet_instances(rec: CloudTrailRecord) -> list[Any]:
    response = dig(rec.response, "CreateFleetResponse") or rec.response
    return items(response, "fleetInstanceSet") or get_list(response, "fleetInstanceSet", "item")


def _fleet_size(rec: CloudTrailRecord, launched: list[Any]) -> str | None:
    for entry in launched:
        size = get_str(entry, "instanceType")
        if size:
            return size
    request = dig(rec.request, "CreateFleetRequest") or rec.request
    for config in get_list(request, "LaunchTemplateConfigs"):
        for override in get_list(config, "Overrides"):
            size = get_str(override, "InstanceType")
            if size:
                return size
    return None


def _fleet_ids(launched: list[Any]) -> tuple[str, ...]:
    found: list[object] = []
    for entry in launched:
        found.extend(get_list(entry, "instanceIds", "item") or get_list(entry, "instanceIds"))
    return ids(*found)


def create_fleet(rec: CloudTrailRecord) -> Draft:
    """CreateFleet: the instances an instant fleet launched, else the target capacity."""
    request = dig(rec.request, "CreateFleetRequest") or rec.request
    launched = _fleet_instances(rec)
    found = _fleet_ids(launched)
    target = get_int(request, "TargetCapacitySpecification", "TotalTargetCapacity") or 1
    market = get_str(request, "TargetCapacitySpecification", "DefaultTargetCapacityType")
    lifecycles = {str(dig(e, "lifecycle") or "").lower() for e in launched}
    spot = (market or "").lower() == "spot" or "spot" in lifecycles
    fleet_id = get_str(dig(rec.response, "CreateFleetResponse") or rec.response, "fleetId")
    return Draft(
        action="launch",
        service="ec2",
        resource_type=INSTANCE,
        resource_ids=found or ids(fleet_id),
        size=_fleet_size(rec, launched),
        quantity=len(found) or target,
        model="spot" if spot else "on-demand",
        os="linux",
        note=None if found else "quantity is the fleet's target capacity",
    )


def _service_event_instances(rec: CloudTrailRecord) -> tuple[str, ...]:
    details = rec.service_event_details or {}
    found: list[object] = []
    for key, value in details.items():
        if "instanceid" not in key.lower():
            continue
        found.extend(value if isinstance(value, list) else [value])
    return ids(*found)


def spot_fulfilled(rec: CloudTrailRecord) -> Draft:
    """BidFulfilledEvent: a Spot request got its instance (the request itself was the launch)."""
    return Draft(
        action="start",
        service="ec2",
        resource_type=INSTANCE,
        resource_ids=_service_event_instances(rec),
        model="spot",
        os="linux",
        details={"spotFulfilment": True},
    )


def spot_evicted(rec: CloudTrailRecord) -> Draft:
    """BidEvictedEvent: AWS reclaimed a Spot instance, so its spending stops."""
    found = _service_event_instances(rec)
    if not found and rec.service_event_details is None:
        raise NormalizeError("BidEvictedEvent without serviceEventDetails")
    return Draft(
        action="stop",
        service="ec2",
        resource_type=INSTANCE,
        resource_ids=found,
        quantity=max(len(found), 1),
        model="spot",
        os="linux",
    )


PARSERS: dict[tuple[str, str], Parser] = {
    ("ec2.amazonaws.com", "RunInstances"): run_instances,
    ("ec2.amazonaws.com", "StartInstances"): start_instances,
    ("ec2.amazonaws.com", "StopInstances"): stop_instances,
    ("ec2.amazonaws.com", "TerminateInstances"): terminate_instances,
    ("ec2.amazonaws.com", "ModifyInstanceAttribute"): modify_instance_attribute,
    ("ec2.amazonaws.com", "CreateVolume"): create_volume,
    ("ec2.amazonaws.com", "CreateNatGateway"): create_nat_gateway,
    ("ec2.amazonaws.com", "AllocateAddress"): allocate_address,
    ("ec2.amazonaws.com", "RequestSpotInstances"): request_spot_instances,
    ("ec2.amazonaws.com", "CreateFleet"): create_fleet,
    ("ec2.amazonaws.com", "BidFulfilledEvent"): spot_fulfilled,
    ("ec2.amazonaws.com", "BidEvictedEvent"): spot_evicted,
}
