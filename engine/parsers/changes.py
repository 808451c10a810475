"""Calls that start, restart, resize or restore a resource the other parsers create.

The record usually names the resource without describing it (a start, a resume, a capacity
update): the type and count come from the response where AWS logs it, else from an earlier
event through the ResourceContext (engine/enrich.py).
"""

from __future__ import annotations

from typing import Any

from engine.models import Action, Volume
from engine.parsers import rds
from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.parsers.clusters import opensearch_domain
from engine.records import CloudTrailRecord, dig, get_int, get_str

_NO_SIZE = "type not in the event and not seen before"


def _cluster(action: Action) -> Parser:
    def parse(rec: CloudTrailRecord) -> Draft:
        draft = rds.create_db_cluster(rec)
        return Draft(
            action=action,
            service=draft.service,
            resource_type=draft.resource_type,
            resource_ids=draft.resource_ids,
            size=draft.size,
            quantity=draft.quantity,
            engine=draft.engine,
            details={**draft.details, "countUnchanged": True}
            if action == "start"
            else draft.details,
            note=draft.note,
        )

    parse.__doc__ = f"An RDS DB cluster that {action}s (Aurora bills its instances)."
    return parse


def _instance(action: Action) -> Parser:
    def parse(rec: CloudTrailRecord) -> Draft:
        return rds.instance(rec, action)

    parse.__doc__ = f"An RDS DB instance that {action}s: class from the event or the inventory."
    return parse


def _domain_config(rec: CloudTrailRecord) -> Any:
    return dig(rec.request, "clusterConfig") or dig(rec.request, "elasticsearchClusterConfig")


def update_domain_config(rec: CloudTrailRecord) -> Draft | NotCost:
    """OpenSearch UpdateDomainConfig: a new instance type or count changes the hourly cost."""
    config = _domain_config(rec)
    size = get_str(config, "instanceType")
    count = get_int(config, "instanceCount")
    if size is None and count is None:
        return NotCost(f"{rec.event_name} without an instance type or count change")
    draft = opensearch_domain(rec)
    return Draft(
        action="modify",
        service=draft.service,
        resource_type=draft.resource_type,
        resource_ids=draft.resource_ids,
        size=size,
        quantity=count if count is not None else draft.quantity,
        details=draft.details,
        note=None if size else "instance type not in the event",
    )


def traffic_mirror_session(rec: CloudTrailRecord) -> Draft:
    """CreateTrafficMirrorSession: the hourly charge per mirrored network interface."""
    session = dig(
        rec.response, "CreateTrafficMirrorSessionResponse", "trafficMirrorSession"
    ) or dig(rec.response, "trafficMirrorSession")
    request = dig(rec.request, "CreateTrafficMirrorSessionRequest") or rec.request
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:traffic-mirror-session",
        resource_ids=ids(get_str(session, "trafficMirrorSessionId")),
        details={"networkInterfaceId": get_str(request, "NetworkInterfaceId")},
    )


def _resumed(service: str, resource_type: str, id_key: str, action: Action) -> Parser:
    def parse(rec: CloudTrailRecord) -> Draft:
        return Draft(
            action=action,
            service=service,
            resource_type=resource_type,
            resource_ids=ids(get_str(rec.request, id_key)),
            size=get_str(rec.response, "nodeType") or get_str(rec.response, "instanceType"),
            quantity=get_int(rec.response, "numberOfNodes") or 1,
            details={"countUnchanged": True},
            note=_NO_SIZE,
        )

    parse.__doc__ = f"{resource_type} that {action}s; its type comes from an earlier event."
    return parse


def modify_redshift_cluster(rec: CloudTrailRecord) -> Draft | NotCost:
    """Redshift ModifyCluster / ResizeCluster: a new node type or count."""
    size = get_str(rec.request, "nodeType")
    nodes = get_int(rec.request, "numberOfNodes")
    if size is None and nodes is None:
        return NotCost(f"{rec.event_name} without a node type or count change")
    return Draft(
        action="modify",
        service="redshift",
        resource_type="redshift:cluster",
        resource_ids=ids(get_str(rec.request, "clusterIdentifier")),
        size=size,
        quantity=nodes if nodes is not None else 1,
        details={} if nodes is not None else {"countUnchanged": True},
        note=None if size else "node type not in the event",
    )


def update_endpoint(rec: CloudTrailRecord) -> Draft:
    """SageMaker UpdateEndpoint: the endpoint now runs another endpoint configuration."""
    return Draft(
        action="modify",
        service="sagemaker",
        resource_type="sagemaker:endpoint",
        resource_ids=ids(get_str(rec.request, "endpointName")),
        details={"endpointConfigName": get_str(rec.request, "endpointConfigName")},
        note="instance type and count are in the endpoint configuration, not in this event",
    )


def modify_volume(rec: CloudTrailRecord) -> Draft | NotCost:
    """EC2 ModifyVolume: the volume's new size or type (the response's target, else the request)."""
    request = dig(rec.request, "ModifyVolumeRequest") or rec.request
    target = dig(rec.response, "ModifyVolumeResponse", "volumeModification") or dig(
        rec.response, "volumeModification"
    )
    size = get_int(target, "targetSize") or get_int(request, "Size") or get_int(request, "size")
    vtype = (
        get_str(target, "targetVolumeType")
        or get_str(request, "VolumeType")
        or get_str(request, "volumeType")
    )
    if size is None:
        return NotCost("ModifyVolume without the volume's new size")
    volume_id = get_str(request, "VolumeId") or get_str(request, "volumeId")
    performance = _volume_performance(request, target)
    notes = [] if vtype else ["volume type not in the event: priced as gp2"]
    if _billed_performance(vtype, performance):
        notes.append("provisioned IOPS and throughput are not priced (not in the price data)")
    return Draft(
        action="modify",
        service="ec2",
        resource_type="ec2:volume",
        resource_ids=ids(volume_id or get_str(target, "volumeId")),
        size=vtype or "gp2",
        volumes=(Volume(volume_type=vtype or "gp2", size_gib=size),),
        details=performance,
        note="; ".join(notes) or None,
    )


# gp3 includes 3,000 IOPS and 125 MiB/s; io1/io2 bill every provisioned IOPS.
_GP3_FREE = {"iops": 3_000, "storageThroughput": 125}


def _billed_performance(vtype: str | None, performance: dict[str, Any]) -> bool:
    if vtype in ("io1", "io2"):
        return "iops" in performance
    if vtype == "gp3":
        return any(performance.get(k, 0) > free for k, free in _GP3_FREE.items())
    return False


def _volume_performance(request: Any, target: Any) -> dict[str, str | int | float | bool | None]:
    """The volume's new IOPS and throughput (MiB/s), where the call sets them."""
    iops = get_int(target, "targetIops") or get_int(request, "Iops") or get_int(request, "iops")
    throughput = (
        get_int(target, "targetThroughput")
        or get_int(request, "Throughput")
        or get_int(request, "throughput")
    )
    found: dict[str, str | int | float | bool | None] = {}
    if iops is not None:
        found["iops"] = iops
    if throughput is not None:
        found["storageThroughput"] = throughput
    return found


def modify_cache(rec: CloudTrailRecord) -> Draft | NotCost:
    """ElastiCache ModifyCacheCluster / ModifyReplicationGroup: a new node type or count."""
    size = get_str(rec.request, "cacheNodeType")
    nodes = get_int(rec.request, "numCacheNodes")
    if size is None and nodes is None:
        return NotCost(f"{rec.event_name} without a node type or count change")
    group = rec.event_name == "ModifyReplicationGroup"
    key = "replicationGroupId" if group else "cacheClusterId"
    return Draft(
        action="modify",
        service="elasticache",
        resource_type="elasticache:replication-group" if group else "elasticache:cache-cluster",
        resource_ids=ids(get_str(rec.request, key)),
        size=size,
        quantity=nodes if nodes is not None else 1,
        engine=(get_str(rec.request, "engine") or "redis").lower(),
        details={} if nodes is not None else {"countUnchanged": True},
        note=None if size else "node type not in the event",
    )


def update_nodegroup_config(rec: CloudTrailRecord) -> Draft | NotCost:
    """EKS UpdateNodegroupConfig: a new desired size x the node group's instance type."""
    desired = get_int(rec.request, "scalingConfig", "desiredSize")
    if desired is None:
        return NotCost("UpdateNodegroupConfig without a desired-size change")
    return Draft(
        action="modify",
        service="eks",
        resource_type="eks:nodegroup",
        resource_ids=ids(get_str(rec.request, "nodegroupName")),
        quantity=desired,
        model="on-demand",
        os="linux",
        details={"clusterName": get_str(rec.request, "clusterName")},
    )


PARSERS: dict[tuple[str, str], Parser] = {
    ("rds.amazonaws.com", "StartDBInstance"): _instance("start"),
    ("rds.amazonaws.com", "RestoreDBInstanceFromS3"): _instance("launch"),
    ("rds.amazonaws.com", "StartDBCluster"): _cluster("start"),
    ("rds.amazonaws.com", "RestoreDBClusterFromSnapshot"): _cluster("launch"),
    ("rds.amazonaws.com", "RestoreDBClusterToPointInTime"): _cluster("launch"),
    ("rds.amazonaws.com", "RestoreDBClusterFromS3"): _cluster("launch"),
    ("es.amazonaws.com", "UpdateDomainConfig"): update_domain_config,
    ("es.amazonaws.com", "UpdateElasticsearchDomainConfig"): update_domain_config,
    ("ec2.amazonaws.com", "CreateTrafficMirrorSession"): traffic_mirror_session,
    ("redshift.amazonaws.com", "ResumeCluster"): _resumed(
        "redshift", "redshift:cluster", "clusterIdentifier", "start"
    ),
    ("redshift.amazonaws.com", "ModifyCluster"): modify_redshift_cluster,
    ("redshift.amazonaws.com", "ResizeCluster"): modify_redshift_cluster,
    ("sagemaker.amazonaws.com", "StartNotebookInstance"): _resumed(
        "sagemaker", "sagemaker:notebook-instance", "notebookInstanceName", "start"
    ),
    ("eks.amazonaws.com", "UpdateNodegroupConfig"): update_nodegroup_config,
    ("sagemaker.amazonaws.com", "UpdateEndpoint"): update_endpoint,
    ("ec2.amazonaws.com", "ModifyVolume"): modify_volume,
    ("elasticache.amazonaws.com", "ModifyCacheCluster"): modify_cache,
    ("elasticache.amazonaws.com", "ModifyReplicationGroup"): modify_cache,
}
