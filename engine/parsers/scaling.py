"""Scaling without a launch call: a desired capacity or replica count changed in place.

Family `scaling` (a feature flag may switch the whole family off). The record names the group or
replication group and the new count; its instance or node type comes from the inventory
(engine/enrich.py), as for the other resizes in `changes`.
"""

from __future__ import annotations

from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, get_int, get_str

FAMILY = "scaling"


def set_desired_capacity(rec: CloudTrailRecord) -> Draft | NotCost:
    """Auto Scaling SetDesiredCapacity: the group now runs this many instances."""
    desired = get_int(rec.request, "desiredCapacity")
    if desired is None:
        return NotCost("SetDesiredCapacity without a desired capacity")
    return Draft(
        action="modify",
        service="autoscaling",
        resource_type="autoscaling:group",
        resource_ids=ids(get_str(rec.request, "autoScalingGroupName")),
        quantity=desired,
        os="linux",
    )


def increase_replica_count(rec: CloudTrailRecord) -> Draft | NotCost:
    """ElastiCache IncreaseReplicaCount: a primary plus `newReplicaCount` replicas per shard."""
    replicas = get_int(rec.request, "newReplicaCount")
    if replicas is None:
        return NotCost("IncreaseReplicaCount without newReplicaCount (per-shard configuration)")
    return Draft(
        action="modify",
        service="elasticache",
        resource_type="elasticache:replication-group",
        resource_ids=ids(get_str(rec.request, "replicationGroupId")),
        quantity=replicas + 1,
        engine="redis",
        note="node type not in the event and the group not seen before; one shard counted",
    )


PARSERS: dict[tuple[str, str], Parser] = {
    ("autoscaling.amazonaws.com", "SetDesiredCapacity"): set_desired_capacity,
    ("elasticache.amazonaws.com", "IncreaseReplicaCount"): increase_replica_count,
}
