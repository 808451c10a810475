"""EC2 calls in CloudTrail's shape: RunInstances, state changes, volumes and tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.scenarios._context import Account, Network, Subnet
from bench.scenarios._identities import Actor
from bench.scenarios._ids import epoch_ms, hex_id, lower_alnum
from bench.scenarios._model import Label

EC2 = "ec2.amazonaws.com"
_ARM = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*\.")
_GPU = re.compile(r"^(p\d|g\d|inf|trn)")
# EC2 state codes as the API reports them.
_STATES = {
    "StartInstances": ((0, "pending"), (80, "stopped")),
    "StopInstances": ((64, "stopping"), (16, "running")),
    "TerminateInstances": ((32, "shutting-down"), (16, "running")),
}


def vcpus(instance_type: str) -> int:
    """vCPUs of an instance size: large 2, xlarge 4, Nxlarge 4N (enough for our types)."""
    size = instance_type.split(".", 1)[1]
    if size.endswith("xlarge"):
        return 4 * int(size[: -len("xlarge")] or 1)
    return 2


@dataclass(frozen=True)
class Launch:
    """What a RunInstances call asks for."""

    instance_type: str
    count: int
    spot: bool = False
    windows: bool = False
    template: str | None = None
    name_tag: str | None = None
    key_name: str | None = None
    root_gib: int = 30
    group: str | None = None


def _ami(net: Network, launch: Launch) -> str:
    if launch.windows:
        return net.amis["windows"]
    if _GPU.match(launch.instance_type):
        return net.amis["gpu"]
    return net.amis["arm" if _ARM.match(launch.instance_type) else "linux"]


def _tags(launch: Launch) -> list[dict[str, str]]:
    tags = []
    if launch.name_tag:
        tags.append({"key": "Name", "value": launch.name_tag})
    if launch.group:
        tags.append({"key": "aws:autoscaling:groupName", "value": launch.group})
    return tags


def _request(acct: Account, net: Network, subnet: Subnet, launch: Launch, token: str) -> Any:
    first: dict[str, Any] = {"minCount": launch.count, "maxCount": launch.count}
    request: dict[str, Any] = {"instancesSet": {"items": [first]}}
    if launch.template:
        _from_template(acct, net, subnet, launch.template, request)
    else:
        first["imageId"] = _ami(net, launch)
        if launch.key_name:
            first["keyName"] = launch.key_name
        _direct(net, subnet, launch, request)
    request["clientToken"] = token
    tags = _tags(launch)
    if tags:
        request["tagSpecificationSet"] = {"items": [{"resourceType": "instance", "tags": tags}]}
    return request


def _from_template(
    acct: Account, net: Network, subnet: Subnet, name: str, request: dict[str, Any]
) -> None:
    """A launch from a template, as Auto Scaling sends it: no instance type in the request."""
    template = acct.template(net.region, name)
    request.update(
        blockDeviceMapping={},
        availabilityZone=subnet.zone,
        monitoring={"enabled": False},
        subnetId=subnet.id,
        disableApiTermination=False,
        disableApiStop=False,
        launchTemplate={"launchTemplateId": template, "version": str(int(template[-1], 16) + 1)},
    )


def _direct(net: Network, subnet: Subnet, launch: Launch, request: dict[str, Any]) -> None:
    """A launch with everything in the request (CLI, SDK, console)."""
    request.update(
        instanceType=launch.instance_type,
        blockDeviceMapping=_root_volume(launch),
        monitoring={"enabled": False},
        disableApiTermination=False,
        disableApiStop=False,
        networkInterfaceSet=_nic_request(net, subnet),
        metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2},
    )
    if launch.spot:
        request["instanceMarketOptions"] = {
            "marketType": "spot",
            "spotOptions": {
                "spotInstanceType": "one-time",
                "instanceInterruptionBehavior": "terminate",
            },
        }


def _root_volume(launch: Launch) -> dict[str, Any]:
    device = "/dev/sda1" if launch.windows else "/dev/xvda"
    ebs = {"volumeSize": launch.root_gib, "deleteOnTermination": True, "volumeType": "gp3"}
    return {"items": [{"deviceName": device, "ebs": ebs}]}


def _nic_request(net: Network, subnet: Subnet) -> dict[str, Any]:
    nic = {
        "deviceIndex": 0,
        "subnetId": subnet.id,
        "groupSet": {"items": [{"groupId": net.security_group}]},
    }
    return {"items": [nic]}


def _item(
    acct: Account,
    net: Network,
    subnet: Subnet,
    launch: Launch,
    index: int,
    when: datetime,
    token: str,
) -> dict[str, Any]:
    rng = acct.rng
    ip = f"{subnet.prefix}{rng.randint(4, 250)}"
    dns = net.private_dns(ip)
    cores = max(vcpus(launch.instance_type) // 2, 1)
    item: dict[str, Any] = {
        "instanceId": hex_id(rng, "i-"),
        "imageId": _ami(net, launch),
        "currentInstanceBootMode": "uefi" if _ARM.match(launch.instance_type) else "legacy-bios",
        "instanceState": {"code": 0, "name": "pending"},
        "privateDnsName": dns,
        "amiLaunchIndex": index,
        "productCodes": {},
        "instanceType": launch.instance_type,
        "launchTime": epoch_ms(when),
        "placement": {"availabilityZone": subnet.zone, "tenancy": "default"},
    }
    if launch.key_name:
        item["keyName"] = launch.key_name
    if launch.windows:
        item["platform"] = "windows"
    item.update(
        monitoring={"state": "disabled"},
        subnetId=subnet.id,
        vpcId=net.vpc,
        privateIpAddress=ip,
        stateReason={"code": "pending", "message": "pending"},
        architecture="arm64" if _ARM.match(launch.instance_type) else "x86_64",
        rootDeviceType="ebs",
        rootDeviceName="/dev/sda1" if launch.windows else "/dev/xvda",
        blockDeviceMapping={},
        virtualizationType="hvm",
    )
    if launch.spot:
        item["instanceLifecycle"] = "spot"
        item["spotInstanceRequestId"] = "sir-" + lower_alnum(rng, 8)
    tags = _tags(launch)
    if tags:
        item["tagSet"] = {"items": tags}
    item.update(
        clientToken=token,
        groupSet={"items": [{"groupId": net.security_group, "groupName": "default"}]},
        sourceDestCheck=True,
        networkInterfaceSet={"items": [_nic(acct, net, subnet, ip, dns)]},
        ebsOptimized=False,
        enaSupport=True,
        cpuOptions={"coreCount": cores, "threadsPerCore": 2},
        capacityReservationSpecification={"capacityReservationPreference": "open"},
        enclaveOptions={"enabled": False},
        metadataOptions={
            "state": "pending",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 2,
            "httpEndpoint": "enabled",
            "httpProtocolIpv4": "enabled",
            "httpProtocolIpv6": "disabled",
            "instanceMetadataTags": "disabled",
        },
        maintenanceOptions={"autoRecovery": "default"},
        privateDnsNameOptions={
            "hostnameType": "ip-name",
            "enableResourceNameDnsARecord": False,
            "enableResourceNameDnsAAAARecord": False,
        },
    )
    return item


def _nic(acct: Account, net: Network, subnet: Subnet, ip: str, dns: str) -> dict[str, Any]:
    rng = acct.rng
    mac = ":".join(f"{rng.randint(0, 255):02x}" for _ in range(6))
    return {
        "networkInterfaceId": hex_id(rng, "eni-"),
        "subnetId": subnet.id,
        "vpcId": net.vpc,
        "ownerId": acct.id,
        "status": "in-use",
        "macAddress": mac,
        "privateIpAddress": ip,
        "privateDnsName": dns,
        "sourceDestCheck": True,
        "interfaceType": "interface",
        "groupSet": {"items": [{"groupId": net.security_group, "groupName": "default"}]},
        "attachment": {
            "attachmentId": hex_id(rng, "eni-attach-"),
            "deviceIndex": 0,
            "networkCardIndex": 0,
            "status": "attaching",
            "deleteOnTermination": True,
        },
        "privateIpAddressesSet": {
            "item": [{"privateIpAddress": ip, "privateDnsName": dns, "primary": True}]
        },
        "ipv6AddressesSet": {},
        "tagSet": {},
    }


def run_instances(
    acct: Account, actor: Actor, when: datetime, region: str, launch: Launch, label: Label
) -> list[str]:
    """Log a successful RunInstances and return the new instance ids."""
    net = acct.net(region)
    subnet = acct.rng.choice(net.subnets)
    token = acct.client_token()
    request = _request(acct, net, subnet, launch, token)
    items = [_item(acct, net, subnet, launch, i, when, token) for i in range(launch.count)]
    response: dict[str, Any] = {
        "requestId": "",
        "reservationId": hex_id(acct.rng, "r-"),
        "ownerId": acct.id,
        "groupSet": {},
        "instancesSet": {"items": items},
    }
    if actor.is_service:
        response["requesterId"] = str(acct.rng.randint(10**11, 10**12 - 1))
    acct.call(
        actor, when, region, EC2, "RunInstances", request=request, response=response, label=label
    )
    return [item["instanceId"] for item in items]


def run_instances_failed(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    launch: Launch,
    error: tuple[str, str],
    label: Label,
) -> None:
    """Log a RunInstances that AWS refused (no responseElements)."""
    net = acct.net(region)
    request = _request(acct, net, acct.rng.choice(net.subnets), launch, acct.client_token())
    acct.call(actor, when, region, EC2, "RunInstances", request=request, error=error, label=label)


def change_state(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    name: str,
    instance_ids: list[str],
    label: Label,
) -> None:
    """Log StartInstances, StopInstances or TerminateInstances for some instances."""
    current, previous = _STATES[name]
    request: dict[str, Any] = {"instancesSet": {"items": [{"instanceId": i} for i in instance_ids]}}
    if name == "StopInstances":
        request["force"] = False
    changed = [
        {
            "instanceId": i,
            "currentState": {"code": current[0], "name": current[1]},
            "previousState": {"code": previous[0], "name": previous[1]},
        }
        for i in instance_ids
    ]
    response = {"requestId": "", "instancesSet": {"items": changed}}
    acct.call(actor, when, region, EC2, name, request=request, response=response, label=label)


def create_volume(
    acct: Account, actor: Actor, when: datetime, region: str, size_gib: int, label: Label
) -> str:
    """Log a CreateVolume (gp3) and return the volume id."""
    zone = acct.rng.choice(acct.net(region).subnets).zone
    request = {"size": size_gib, "zone": zone, "volumeType": "gp3", "encrypted": True}
    volume = hex_id(acct.rng, "vol-")
    response = {
        "requestId": "",
        "volumeId": volume,
        "size": str(size_gib),
        "zone": zone,
        "status": "creating",
        "createTime": epoch_ms(when),
        "volumeType": "gp3",
        "iops": 3000,
        "encrypted": True,
        "tagSet": {},
        "multiAttachEnabled": False,
        "throughput": 125,
    }
    acct.call(
        actor, when, region, EC2, "CreateVolume", request=request, response=response, label=label
    )
    return volume


def create_tags(
    acct: Account, actor: Actor, when: datetime, region: str, resource: str, tags: dict[str, str]
) -> None:
    """Log a CreateTags call (not cost-relevant)."""
    request = {
        "resourcesSet": {"items": [{"resourceId": resource}]},
        "tagSet": {"items": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    acct.call(
        actor,
        when,
        region,
        EC2,
        "CreateTags",
        request=request,
        response={"requestId": "", "_return": True},
    )
