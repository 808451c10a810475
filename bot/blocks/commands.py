"""The AWS CLI commands an alert suggests, by resource type: one table, safe recipes first.

dd0c never runs these (V1 changes nothing in a customer's account); the card shows them to copy.
Ids come from `StoredAnomaly.resource_ids` as the parsers in `engine/parsers/` build them:
"function:qualifier" for provisioned concurrency, an allocation id and the public IP for an
Elastic IP, a load balancer's ARN and/or name, an EMR cluster's id (or its name when the
response had none). An EKS node group is stored by name only, so its cluster is a placeholder
unless the id reads "cluster/nodegroup". Every id is shell-quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.blocks._recipes import (
    ARN,
    COMMAND_MAX,
    EMR_ID,
    FLEET,
    INSTANCE,
    SPOT,
    Recipe,
    Suggestion,
    bare_nodegroups,
    cluster_nodegroup,
    emr_names,
    fit,
    function_qualifier,
    starting,
    unless_any,
)

__all__ = ["COMMANDS", "COMMAND_MAX", "Recipe", "Suggestion", "console_hint", "suggestions"]

COMMANDS: Mapping[str, tuple[Recipe, ...]] = {
    "ec2:instance": (
        Recipe(
            "Stop the instances (their EBS volumes are kept, and still billed)",
            "aws ec2 stop-instances --instance-ids {ids}",
            choose=INSTANCE,
        ),
        Recipe(
            "Terminate the instances (deletes them and their delete-on-termination volumes)",
            "aws ec2 terminate-instances --instance-ids {ids}",
            destructive=True,
            choose=INSTANCE,
        ),
        Recipe(
            "Cancel the Spot requests (instances already running keep running)",
            "aws ec2 cancel-spot-instance-requests --spot-instance-request-ids {ids}",
            choose=SPOT,
        ),
        Recipe(
            "List the Spot requests' instances, to stop or terminate them",
            "aws ec2 describe-spot-instance-requests --spot-instance-request-ids {ids} "
            "--query 'SpotInstanceRequests[].InstanceId' --output text",
            choose=SPOT,
        ),
        Recipe(
            "Delete the fleets and terminate their instances",
            "aws ec2 delete-fleets --fleet-ids {ids} --terminate-instances",
            destructive=True,
            choose=FLEET,
        ),
    ),
    "ec2:volume": (
        Recipe(
            "Snapshot the volume first (keeps its data)", "aws ec2 create-snapshot --volume-id {id}"
        ),
        Recipe("Delete the volume", "aws ec2 delete-volume --volume-id {id}", destructive=True),
    ),
    "ec2:natgateway": (
        Recipe(
            "Delete the NAT gateway (there is no stop; private subnets lose internet access)",
            "aws ec2 delete-nat-gateway --nat-gateway-id {id}",
            destructive=True,
        ),
    ),
    "ec2:elastic-ip": (
        Recipe(
            "Release the address (the IP cannot be got back)",
            "aws ec2 release-address --allocation-id {id}",
            destructive=True,
            choose=starting("eipalloc-"),
        ),
        Recipe(
            "Release the address (the IP cannot be got back)",
            "aws ec2 release-address --public-ip {id}",
            destructive=True,
            choose=unless_any("eipalloc-"),
        ),
    ),
    "rds:db-instance": (
        Recipe(
            "Stop the DB instance (AWS starts it again after 7 days)",
            "aws rds stop-db-instance --db-instance-identifier {id}",
        ),
        Recipe(
            "Delete the DB instance, keeping a final snapshot",
            "aws rds delete-db-instance --db-instance-identifier {id} "
            "--final-db-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "rds:db-cluster": (
        Recipe(
            "Stop the DB cluster (AWS starts it again after 7 days)",
            "aws rds stop-db-cluster --db-cluster-identifier {id}",
        ),
        Recipe(
            "Delete the DB cluster, keeping a final snapshot (Aurora: delete its instances first)",
            "aws rds delete-db-cluster --db-cluster-identifier {id} "
            "--final-db-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "lambda:function": (
        Recipe(
            "Throttle the function to zero (undo with delete-function-concurrency)",
            "aws lambda put-function-concurrency --function-name {id} "
            "--reserved-concurrent-executions 0",
        ),
        Recipe(
            "Delete the function",
            "aws lambda delete-function --function-name {id}",
            destructive=True,
        ),
    ),
    "lambda:provisioned-concurrency": (
        Recipe(
            "Remove the provisioned concurrency (the function keeps working, on demand)",
            "aws lambda delete-provisioned-concurrency-config --function-name {function} "
            "--qualifier {qualifier}",
            split=function_qualifier,
        ),
    ),
    "autoscaling:group": (
        Recipe(
            "Scale the group to zero (its instances are terminated; the group stays)",
            "aws autoscaling update-auto-scaling-group --auto-scaling-group-name {id} "
            "--min-size 0 --desired-capacity 0",
        ),
        Recipe(
            "Delete the group and its instances",
            "aws autoscaling delete-auto-scaling-group --auto-scaling-group-name {id} "
            "--force-delete",
            destructive=True,
        ),
    ),
    "eks:cluster": (
        Recipe(
            "Delete the cluster (there is no stop; delete its node groups first)",
            "aws eks delete-cluster --name {id}",
            destructive=True,
        ),
    ),
    "eks:nodegroup": (
        Recipe(
            "Find the node group's cluster, to replace CLUSTER_NAME below",
            "aws eks list-clusters",
            choose=bare_nodegroups,
        ),
        Recipe(
            "Scale the node group to zero (the node group stays)",
            "aws eks update-nodegroup-config --cluster-name {cluster} --nodegroup-name {nodegroup} "
            "--scaling-config minSize=0,desiredSize=0",
            split=cluster_nodegroup,
        ),
        Recipe(
            "Delete the node group",
            "aws eks delete-nodegroup --cluster-name {cluster} --nodegroup-name {nodegroup}",
            destructive=True,
            split=cluster_nodegroup,
        ),
    ),
    "redshift:cluster": (
        Recipe("Pause the cluster", "aws redshift pause-cluster --cluster-identifier {id}"),
        Recipe(
            "Delete the cluster, keeping a final snapshot",
            "aws redshift delete-cluster --cluster-identifier {id} "
            "--final-cluster-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "elasticache:cache-cluster": (
        Recipe(
            "Delete the cluster, keeping a final snapshot (there is no stop; for Memcached "
            "leave out --final-snapshot-identifier)",
            "aws elasticache delete-cache-cluster --cache-cluster-id {id} "
            "--final-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "elasticache:replication-group": (
        Recipe(
            "Delete the replication group, keeping a final snapshot (there is no stop)",
            "aws elasticache delete-replication-group --replication-group-id {id} "
            "--final-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "sagemaker:notebook-instance": (
        Recipe(
            "Stop the notebook instance (its storage is kept)",
            "aws sagemaker stop-notebook-instance --notebook-instance-name {id}",
        ),
        Recipe(
            "Delete the notebook instance (stop it first)",
            "aws sagemaker delete-notebook-instance --notebook-instance-name {id}",
            destructive=True,
        ),
    ),
    "sagemaker:endpoint": (
        Recipe(
            "Delete the endpoint (there is no stop; its configuration and model are kept)",
            "aws sagemaker delete-endpoint --endpoint-name {id}",
            destructive=True,
        ),
    ),
    "emr:cluster": (
        Recipe(
            "Find the cluster's id (j-…), to terminate it",
            "aws emr list-clusters --active",
            choose=emr_names,
        ),
        Recipe(
            "Terminate the clusters (there is no stop; HDFS data is lost)",
            "aws emr terminate-clusters --cluster-ids {ids}",
            destructive=True,
            choose=EMR_ID,
        ),
    ),
    "opensearch:domain": (
        Recipe(
            "Delete the domain and its data (there is no stop)",
            "aws opensearch delete-domain --domain-name {id}",
            destructive=True,
        ),
    ),
    "elb:load-balancer": (
        Recipe(
            "Delete the load balancer (there is no stop)",
            "aws elbv2 delete-load-balancer --load-balancer-arn {id}",
            destructive=True,
            choose=ARN,
        ),
        Recipe(
            "Delete the Classic Load Balancer (there is no stop)",
            "aws elb delete-load-balancer --load-balancer-name {id}",
            destructive=True,
            choose=unless_any("arn:"),
        ),
    ),
}


def console_hint(resource_type: str, region: str, *, known_type: bool) -> Suggestion:
    """The generic line: find the resource in the AWS console."""
    reason = "The event named no resource id" if known_type else f"No command for {resource_type}"
    return Suggestion(
        f"{reason}: find it in the AWS console ({region}) and stop or delete it there", None
    )


# Resource types whose ids are "parent/name" when the event's `details` names the parent.
PARENTS = {"eks:nodegroup": "clusterName"}


def qualified(
    resource_type: str, resource_ids: Sequence[str], details: Mapping[str, object]
) -> list[str]:
    """The ids, "cluster/nodegroup" where the event named the cluster (no placeholder then)."""
    parent = details.get(PARENTS.get(resource_type, ""))
    if not isinstance(parent, str) or not parent:
        return list(resource_ids)
    return [i if "/" in i else f"{parent}/{i}" for i in resource_ids]


def suggestions(
    resource_type: str,
    resource_ids: Sequence[str],
    region: str,
    *,
    budget: int = COMMAND_MAX,
    details: Mapping[str, object] | None = None,
) -> tuple[Suggestion, ...]:
    """The commands that stop or remove the resources, safe ones before destructive ones."""
    recipes = COMMANDS.get(resource_type)
    if recipes is None:
        return (console_hint(resource_type, region, known_type=False),)
    resource_ids = qualified(resource_type, resource_ids, details or {})
    found: list[Suggestion] = []
    for recipe in recipes:
        chosen = recipe.choose(resource_ids)
        if not chosen:
            continue
        command, hidden = fit(recipe, chosen, region, budget)
        found.append(Suggestion(recipe.label, command, recipe.destructive, hidden))
    if not found:
        return (console_hint(resource_type, region, known_type=True),)
    found.sort(key=lambda s: s.destructive)
    return tuple(found)
